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

/** Whether a `ready` event says the stream resumed: the events missed meanwhile follow it. */
function resumedOf(data: unknown): boolean {
  try {
    const parsed: unknown = typeof data === 'string' ? JSON.parse(data) : undefined;
    return typeof parsed === 'object' && parsed !== null && (parsed as { resumed?: unknown }).resumed === true;
  } catch {
    return false;
  }
}

/**
 * Calls `onChange` (at most once per GATHER_MS) when `api/events` reports an execution or
 * config change from any process (only those of `configId` when given), when the server says
 * events were lost for this client (`resync`), and when the stream is back after a break that
 * the server could not resume from (a `ready` after the first without `resumed`). The browser
 * reconnects by itself and sends the last event's id (Last-Event-ID), so the server replays
 * the changes missed meanwhile, and those reach `onChange` as any other. EventSource cannot
 * send headers, so the token goes in the query, which the server accepts for this one route;
 * without a token the embedding application's own authentication (its cookie) lets it in.
 */
export function useLiveChanges(onChange: () => void, configId?: string): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    const token = window.localStorage.getItem(TOKEN_KEY);
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(token ? `api/events?token=${encodeURIComponent(token)}` : 'api/events');
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
    source.addEventListener('ready', (event) => {
      if (connected && !resumedOf((event as MessageEvent).data)) changed();
      connected = true;
    });
    return () => {
      window.clearTimeout(timer);
      source.close();
    };
  }, [configId]);
}
