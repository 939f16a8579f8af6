import { createContext, useCallback, useContext, useEffect, useState } from 'react';

/** The console's pages; the server answers these paths with index.html. */
export type Route =
  | { page: 'jobs' }
  | { page: 'new-job'; type: string | null }
  | { page: 'job'; id: string; tab: 'config' | 'status' }
  | { page: 'rules' }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  if (pathname === '/' || pathname === '/jobs' || pathname === '/jobs/') return { page: 'jobs' };
  if (pathname === '/jobs/new') return { page: 'new-job', type: params.get('type') };
  const job = /^\/jobs\/([^/]+)\/?$/.exec(pathname);
  if (job?.[1]) return { page: 'job', id: decodeURIComponent(job[1]), tab: params.get('tab') === 'status' ? 'status' : 'config' };
  if (pathname === '/rules' || pathname === '/rules/') return { page: 'rules' };
  return { page: 'not-found', path: pathname };
}

/** A small history-API router: `navigate` pushes a path, Back and Forward re-read it. */
export function useRoute(): { route: Route; navigate: (to: string, replace?: boolean) => void } {
  const read = () => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const onPop = () => setRoute(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, replace = false) => {
    if (replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setRoute(read());
    window.scrollTo(0, 0);
  }, []);
  return { route, navigate };
}

export const NavigateContext = createContext<(to: string, replace?: boolean) => void>(() => undefined);

export function useNavigate(): (to: string, replace?: boolean) => void {
  return useContext(NavigateContext);
}
