import { useEffect, useRef, useState } from 'react';
import { type LiveExecutionEvent, statusApi } from './status-api.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface ExecutionEventHandlers {
  /** An `execution` event of this config. */
  onExecution: (event: LiveExecutionEvent) => void;
  /** The stream (re)connected or the server says this client fell behind: reload the state. */
  onResync: () => void;
  /** A `config` event of this config (its schedule, and so its next run, may have changed). */
  onConfig: () => void;
}

function isLiveExecution(value: unknown): value is LiveExecutionEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['id'] === 'string' && typeof v['configId'] === 'string' && typeof v['status'] === 'string' && typeof v['items'] === 'object' && v['items'] !== null;
}

function parse(data: unknown): unknown {
  try {
    return typeof data === 'string' ? JSON.parse(data) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows `GET /api/events` for one config. The browser's EventSource reconnects by itself;
 * each `ready` (the first included) asks for a resync: events before it may have been missed.
 */
export function useExecutionEvents(configId: string, handlers: ExecutionEventHandlers): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const latest = useRef(handlers);
  latest.current = handlers;

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('unavailable');
      return undefined;
    }
    const source = new EventSource(statusApi.eventsUrl());
    setState('connecting');
    source.addEventListener('ready', () => {
      setState('live');
      // What changed between the tab's first load (or the break) and this connection is reread.
      latest.current.onResync();
    });
    source.addEventListener('execution', (event) => {
      const data = parse((event as MessageEvent).data);
      if (isLiveExecution(data) && data.configId === configId) latest.current.onExecution(data);
    });
    source.addEventListener('config', (event) => {
      const data = parse((event as MessageEvent).data) as { configId?: unknown } | undefined;
      if (data?.configId === configId) latest.current.onConfig();
    });
    source.addEventListener('resync', () => latest.current.onResync());
    source.onerror = () => {
      // CLOSED: the server refused the stream (401, 403, 503) and the browser gives up.
      setState(source.readyState === EventSource.CLOSED ? 'unavailable' : 'reconnecting');
    };
    return () => source.close();
  }, [configId]);

  return state;
}
