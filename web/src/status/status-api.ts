// The few API calls the Execution Status tab makes, with the bearer token the console keeps in
// localStorage. Kept here (not in the console's api-client) so the tab stands on its own.
import type { SlotLedgerView } from '../../../src/api/routes/slots.js';
import type { LogLineInput } from '../status-catalog/transform.js';
import type { ExecutionData, LiveExecutionEvent } from './live-state.js';

export type { ExecutionData, LiveExecutionEvent };

export const TOKEN_KEY = 'grove-jobs.token';
/** The console's requests say so (api-client's CLIENT_HEADER): a run started here is recorded as the console's. */
const CLIENT_HEADER = { name: 'x-grove-client', value: 'console' } as const;

export interface JobData {
  meta: { id: string; title?: string; version?: number };
  status?: string;
  paused?: { at: string } | null;
  payload: { jobType: string; limits: { batchSize: number }; parameters?: Record<string, unknown> };
  nextRuns: string[];
  schedule: { timezone: string; description: string };
}

/** What a job type calls its item counters (GET /api/job-types). */
export interface CounterLabels {
  processed: string;
  succeeded: string;
  failed: string;
}

/** A manual run's overrides. */
export interface RunRequest {
  dryRun?: boolean;
  batchSize?: number;
}

export class StatusApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'StatusApiError';
  }
}

export function readToken(): string | null {
  try {
    return globalThis.localStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    // Storage can be switched off (private windows, policies): then there is no token.
    return null;
  }
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const token = readToken();
  const headers: Record<string, string> = { accept: 'application/json', [CLIENT_HEADER.name]: CLIENT_HEADER.value };
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Relative: under the document's base, where the server mounted the console.
  const response = await fetch(`api${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): the status code still says what happened.
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new StatusApiError(response.status, error?.message ?? `${method} ${path} answered ${response.status}`, error?.code);
  }
  return parsed as T;
}

const id = (value: string) => encodeURIComponent(value);

export const statusApi = {
  job: (configId: string) => request<JobData>('GET', `/jobs/${id(configId)}`),
  executions: (configId: string, limit: number) => request<{ items: ExecutionData[] }>('GET', `/jobs/${id(configId)}/executions?limit=${limit}`).then((r) => r.items),
  execution: (executionId: string) => request<ExecutionData>('GET', `/executions/${id(executionId)}`),
  logs: (executionId: string, after?: number) =>
    request<{ items: LogLineInput[] }>('GET', `/executions/${id(executionId)}/logs${after !== undefined ? `?after=${after}` : ''}`).then((r) => r.items),
  run: (configId: string, options: RunRequest = {}) => request<{ executionId: string }>('POST', `/jobs/${id(configId)}/run`, options),
  jobTypes: () => request<{ items: Array<{ name: string; counterLabels?: CounterLabels }> }>('GET', '/job-types').then((r) => r.items),
  retry: (executionId: string) => request<{ executionId: string }>('POST', `/executions/${id(executionId)}/retry`),
  cancel: (executionId: string) => request<ExecutionData>('POST', `/executions/${id(executionId)}/cancel`),
  /** The slot ledger of [from, until] (both inclusive, ISO instants): every slot and what became of it. */
  slots: (configId: string, from: string, until: string, limit?: number) =>
    request<SlotLedgerView>('GET', `/jobs/${id(configId)}/slots?from=${encodeURIComponent(from)}&until=${encodeURIComponent(until)}${limit !== undefined ? `&limit=${limit}` : ''}`),
  /** EventSource cannot send headers: the event stream alone takes the token in the query. */
  eventsUrl: () => {
    const token = readToken();
    return token ? `api/events?token=${encodeURIComponent(token)}` : 'api/events';
  },
};
