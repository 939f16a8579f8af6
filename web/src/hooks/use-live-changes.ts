import { useEffect, useRef } from 'react';
import { TOKEN_KEY } from '../api-client';

/** Changes arriving closer together than this are answered with one reload. */
const GATHER_MS = 300;

/**
 * Calls `onChange` (at most once per GATHER_MS) when `/api/events` reports an execution or
 * config change from any process. EventSource cannot send headers, so the token goes in the
 * query, which the server accepts for this one route. The browser reconnects by itself.
 */
export function useLiveChanges(onChange: () => void): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    const token = window.localStorage.getItem(TOKEN_KEY);
    if (!token || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
    let timer: number | undefined;
    const changed = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        latest.current();
      }, GATHER_MS);
    };
    for (const name of ['execution', 'config', 'resync']) source.addEventListener(name, changed);
    return () => {
      window.clearTimeout(timer);
      source.close();
    };
  }, []);
}
