import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { consolePath, consoleUrl } from '../base-path';

/** The console's pages; the server answers these paths (below its base path) with index.html. */
export type Route =
  | { page: 'jobs' }
  | { page: 'new-job'; type: string | null }
  | { page: 'job'; id: string; tab: 'config' | 'status' }
  | { page: 'rules' }
  | { page: 'not-found'; path: string };

/** The page at `pathname`, a path of the console's own ('/jobs/<id>'; see consolePath). */
export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  if (pathname === '/' || pathname === '/jobs' || pathname === '/jobs/') return { page: 'jobs' };
  if (pathname === '/jobs/new') return { page: 'new-job', type: params.get('type') };
  const job = /^\/jobs\/([^/]+)\/?$/.exec(pathname);
  if (job?.[1]) return { page: 'job', id: decodeURIComponent(job[1]), tab: params.get('tab') === 'status' ? 'status' : 'config' };
  if (pathname === '/rules' || pathname === '/rules/') return { page: 'rules' };
  return { page: 'not-found', path: pathname };
}

/**
 * Asked before the console leaves its page: the question to confirm (unsaved changes, say), or
 * null to let it go. `to` is the route going to, or null when the tab closes or reloads.
 */
export type LeaveGuard = (to: Route | null) => string | null;

/** The guards of the mounted pages (a set: each page adds its own while mounted). */
export interface LeaveGuards {
  add(guard: LeaveGuard): () => void;
}

function question(guards: ReadonlySet<LeaveGuard>, to: Route | null): string | null {
  for (const guard of guards) {
    const asked = guard(to);
    if (asked) return asked;
  }
  return null;
}

const here = () => window.location.pathname + window.location.search;
const read = () => parseRoute(consolePath(window.location.pathname), window.location.search);

/**
 * A small history-API router: `navigate` pushes a path written relative to the document's base
 * ('jobs/<id>', 'rules', './': see base-path.ts), Back and Forward re-read it. A page's
 * leave guard is asked first (a confirm dialog); declining keeps the page and its address.
 */
export function useRoute(): { route: Route; navigate: (to: string, replace?: boolean) => void; guards: LeaveGuards } {
  const [route, setRoute] = useState<Route>(read);
  const guardSet = useRef(new Set<LeaveGuard>());
  /** The address the route was read from: Back declined goes back to it. */
  const shown = useRef(here());
  const [guards] = useState<LeaveGuards>(() => ({
    add(guard) {
      guardSet.current.add(guard);
      return () => {
        guardSet.current.delete(guard);
      };
    },
  }));

  useEffect(() => {
    const onPop = () => {
      const asked = question(guardSet.current, read());
      if (asked && !window.confirm(asked)) {
        // The address has already moved: put the page's own back (a new entry; the one left stays).
        window.history.pushState(null, '', shown.current);
        return;
      }
      shown.current = here();
      setRoute(read());
    };
    // Closing the tab or reloading: the browser asks with its own words (it shows none of ours).
    const onUnload = (event: BeforeUnloadEvent) => {
      if (question(guardSet.current, null) === null) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('popstate', onPop);
    window.addEventListener('beforeunload', onUnload);
    return () => {
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('beforeunload', onUnload);
    };
  }, []);
  const navigate = useCallback((to: string, replace = false) => {
    const target = consoleUrl(to);
    const asked = question(guardSet.current, parseRoute(consolePath(target.pathname), target.search));
    if (asked && !window.confirm(asked)) return;
    if (replace) window.history.replaceState(null, '', target);
    else window.history.pushState(null, '', target);
    shown.current = here();
    setRoute(read());
    window.scrollTo(0, 0);
  }, []);
  return { route, navigate, guards };
}

export const NavigateContext = createContext<(to: string, replace?: boolean) => void>(() => undefined);

export function useNavigate(): (to: string, replace?: boolean) => void {
  return useContext(NavigateContext);
}

export const LeaveGuardContext = createContext<LeaveGuards | null>(null);

/** Asks `guard` before the console leaves the page (in-app links, Back, closing the tab), while mounted. */
export function useLeaveGuard(guard: LeaveGuard): void {
  const guards = useContext(LeaveGuardContext);
  const latest = useRef(guard);
  latest.current = guard;
  useEffect(() => guards?.add((to) => latest.current(to)), [guards]);
}
