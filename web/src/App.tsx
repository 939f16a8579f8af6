import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiRequestError, createApiClient, type Me, TOKEN_KEY } from './api-client';
import { HourglassIcon, LightningIcon } from './components/Icons';
import { SignIn } from './components/SignIn';
import { ApiContext } from './hooks/use-api';
import { LeaveGuardContext, NavigateContext, useRoute } from './hooks/use-route';
import { SessionContext, sessionFor, takeTokenFromAddress, useTokenFromAddress } from './hooks/use-session';
import { JobEditorPage } from './pages/JobEditorPage';
import { JobsPage } from './pages/JobsPage';
import { NewJobPage } from './pages/NewJobPage';
import { RulesPage } from './pages/RulesPage';

function initialToken(): string | null {
  const fromAddress = takeTokenFromAddress();
  if (fromAddress) {
    window.localStorage.setItem(TOKEN_KEY, fromAddress);
    return fromAddress;
  }
  return window.localStorage.getItem(TOKEN_KEY);
}

/** The console shell: sign-in, header with navigation, and the page for the address. */
export function App() {
  const [token, setToken] = useState<string | null>(initialToken);
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const api = useMemo(() => createApiClient(() => tokenRef.current), []);
  // index.html has usually brought the user already: the first render is then the signed-in page.
  const [me, setMe] = useState<Me | null>(() => (token ? (api.meAtHand() ?? null) : null));
  const [problem, setProblem] = useState<string | null>(null);
  /** The server answered 401: the console waits for a token (until then it asks nothing). */
  const [tokenNeeded, setTokenNeeded] = useState(false);
  const { route, navigate, guards } = useRoute();

  useEffect(() => {
    // Already known from the first render: the token changes only while signed out, with no user.
    if (me) return;
    if (!token && tokenNeeded) return;
    // Asked without a token too: an application embedding the console may let its own users in
    // (its session cookie); only a 401 asks for a token.
    let current = true;
    api.me().then(
      (who) => {
        if (current) {
          setMe(who);
          setProblem(null);
        }
      },
      (error: unknown) => {
        if (!current) return;
        if (error instanceof ApiRequestError && error.status === 401) {
          if (token) {
            window.localStorage.removeItem(TOKEN_KEY);
            setToken(null);
            setProblem('The server refused that token. Paste a valid one.');
          }
          setTokenNeeded(true);
        } else setProblem(`Could not reach the server: ${(error as Error).message}`);
      },
    );
    return () => {
      current = false;
    };
  }, [api, token]);

  const signOut = useCallback(() => {
    window.localStorage.removeItem(TOKEN_KEY);
    setTokenNeeded(true);
    setToken(null);
    setMe(null);
  }, []);
  const session = useMemo(() => (me ? sessionFor(me, signOut) : null), [me, signOut]);

  const signIn = useCallback((next: string) => {
    window.localStorage.setItem(TOKEN_KEY, next);
    setProblem(null);
    if (next === tokenRef.current) return;
    // Another token is another user: who it is is asked again.
    setMe(null);
    setTokenNeeded(false);
    setToken(next);
  }, []);
  useTokenFromAddress(signIn);

  const link = (to: string) => ({
    href: to,
    onClick: (event: { preventDefault(): void }) => {
      event.preventDefault();
      navigate(to);
    },
  });
  const onJobs = route.page === 'jobs' || route.page === 'job' || route.page === 'new-job';

  return (
    <ApiContext.Provider value={api}>
      <NavigateContext.Provider value={navigate}>
        <LeaveGuardContext.Provider value={guards}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="app-header">
          <a className="brand" {...link('./')}>
            <HourglassIcon /> Grove Jobs
          </a>
          {session ? (
            <>
              <nav aria-label="Main">
                <a className={`nav-link nav-link--jobs${onJobs ? ' nav-link--active' : ''}`} aria-current={onJobs ? 'page' : undefined} {...link('./')}>
                  <HourglassIcon size={20} /> Jobs
                </a>
                <a className={`nav-link nav-link--rules${route.page === 'rules' ? ' nav-link--active' : ''}`} aria-current={route.page === 'rules' ? 'page' : undefined} {...link('rules')}>
                  <LightningIcon size={20} /> Advancement rules
                </a>
              </nav>
              <div className="who">
                <span>
                  {session.me.name} · <span data-role={session.me.role}>{session.me.role}</span>
                </span>
                {token ? (
                  <button type="button" className="button button--small" onClick={signOut}>
                    Sign out
                  </button>
                ) : null}
              </div>
            </>
          ) : null}
        </header>
        <main id="main">
          {!session ? (
            !tokenNeeded && !problem ? (
              <p className="muted">Signing in…</p>
            ) : (
              <SignIn onToken={signIn} problem={problem} />
            )
          ) : (
            <SessionContext.Provider value={session}>
              {route.page === 'jobs' ? <JobsPage /> : null}
              {route.page === 'new-job' ? <NewJobPage type={route.type} /> : null}
              {route.page === 'job' ? <JobEditorPage key={route.id} id={route.id} tab={route.tab} /> : null}
              {route.page === 'rules' ? <RulesPage /> : null}
              {route.page === 'not-found' ? (
                <div className="notice notice--error" role="alert">
                  <p>There is no page at {route.path}.</p>
                  <a className="back-link" {...link('./')}>
                    ← All jobs
                  </a>
                </div>
              ) : null}
            </SessionContext.Provider>
          )}
        </main>
        <footer className="app-footer">
          <a href="api/docs">API documentation</a>
        </footer>
        </LeaveGuardContext.Provider>
      </NavigateContext.Provider>
    </ApiContext.Provider>
  );
}
