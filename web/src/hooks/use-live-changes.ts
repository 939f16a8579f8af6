import { useEffect, useRef } from 'react';
import { TOKEN_KEY } from '../api-client';

/** Changes arriving closer together than this are answered with one reload. */
const GATHER_MS = 300;

function configOf(data: unknown): string | undefined {
  try {
    const parsed: unknown = typeof data === 'string' ? JSON.parse(data) : undefined;
    const id = typeof parsed === 'object' && parsed !== null ? (parsed as { configId?: unknown }).configId : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `onChange` (at most once per GATHER_MS) when `/api/events` reports an execution or
 * config change from any process (only those of `configId` when given), when the server says
 * this client fell behind (`resync`), and when the stream is back after a break (every `ready`
 * but the first: events sent while it was down were missed). EventSource cannot send headers,
 * so the token goes in the query, which the server accepts for this one route. The browser
 * reconnects by itself.
 */
export function useLiveChanges(onChange: () => void, configId?: string): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    const token = window.localStorage.getItem(TOKEN_KEY);
    if (!token || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
    let timer: number | undefined;
    let connected = false;
    const changed = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        latest.current();
      }, GATHER_MS);
    };
    const ofThisConfig = (event: Event) => {
      if (configId === undefined || configOf((event as MessageEvent).data) === configId) changed();
    };
    source.addEventListener('execution', ofThisConfig);
    source.addEventListener('config', ofThisConfig);
    source.addEventListener('resync', changed);
    source.addEventListener('ready', () => {
      if (connected) changed();
      connected = true;
    });
    return () => {
      window.clearTimeout(timer);
      source.close();
    };
  }, [configId]);
}
