// The console's only way to the HTTP API: typed calls with the bearer token. Types come
// from the server's own response schemas (type-only imports: nothing of the server is bundled).
import type { ExecutionView, JobView } from '../../src/api/views.js';

export type { ExecutionView, JobView };
export type Role = 'viewer' | 'operator' | 'admin';
export type JobStatus = JobView['status'];

export interface Me {
  role: Role;
  name: string;
}

export interface JobList {
  items: JobView[];
  total: number;
  enabledCount: number;
  failedCount: number;
}

/** A parameter schema as `z.toJSONSchema` writes it (the parts the form reads). */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  default?: unknown;
  description?: string;
  format?: string;
  anyOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

export interface JobType {
  name: string;
  description: string;
  parameters: JsonSchema;
  defaults: Record<string, unknown>;
  secretParameters: string[];
  /** A run that is not a dry run changes records operators own: Run now asks first. */
  changesData: boolean;
  /** The type works in pages of the batch size, which a run may override. */
  usesBatchSize: boolean;
  /** What the type calls its item counters ("Advanced" for advancement-batch's succeeded). */
  counterLabels: { processed: string; succeeded: string; failed: string };
}

/** A manual run's overrides (POST /api/jobs/{id}/run). */
export interface RunOptions {
  dryRun?: boolean;
  batchSize?: number;
}

export interface ConfigVersion {
  version: number;
  /** The actor: `console:ops-token`, `cli:alice`, `apply:files` for a version an apply stored. */
  changedBy: string;
  changedAt: string;
  changes: Array<Record<string, unknown>>;
  restoredFrom: number | null;
  /** The writer's note (`grove-jobs apply --message`, or what an apply took back by force). */
  message: string | null;
  config: Record<string, unknown>;
}

/** Who set a field of a stored config last (GET /api/jobs/{id}/owners). */
export interface FieldOwner {
  /** `console`, `api`, `cli`, `system` (installed by Grove Jobs) or `apply:<name>` (config files). */
  manager: string;
  /** The actor recorded with the version (`apply:files`, `console:ops-token`). */
  by: string;
  /** ISO 8601. */
  at: string;
  version: number;
}

/** Field path (payload.schedule.cronExpression) → its owner; fields nobody set (defaults) are absent. */
export type FieldOwners = Record<string, FieldOwner>;

export interface AdvancementRule {
  meta: { id: string; title: string; version: number; createdAt: string; updatedAt: string };
  payload: {
    lifecycleModelId: string;
    fromTier: string;
    toTier: string;
    criteria: Array<{ signal: string; operator: string; threshold: number }>;
    logicOperator: string;
    isEnabled: boolean;
    order: number;
  };
}

export type SchedulePreview =
  | { valid: true; description: string; nextRuns: string[] }
  | { valid: false; error: { code: string; message: string; field?: string } };

/** One run in a what-if preview: the UTC instant and its wall clock in the zone before and after the change. */
export interface PreviewRun {
  at: string;
  wallBefore: string;
  wallAfter: string;
}

/** The answer of POST /api/jobs/{id}/preview: what a change would do to the next runs, nothing stored. */
export interface JobChangePreview {
  before: { cronExpression: string; timezone: string; isEnabled: boolean; state: 'on' | 'off' | 'never'; description: string; note?: string };
  after: { cronExpression: string; timezone: string; isEnabled: boolean; state: 'on' | 'off' | 'never'; description: string; note?: string };
  runs: { before: PreviewRun[]; after: PreviewRun[] };
  moved: Array<{ from: PreviewRun; to: PreviewRun }>;
  vanished: PreviewRun[];
  added: PreviewRun[];
  dstDates: Array<{ date: string; wallClock: string; rule: string; instants: string[]; explanation: string }>;
  firstRunUnderNewRule: PreviewRun | null;
  changes: Array<{ path: string; from?: unknown; to?: unknown }>;
}

export interface JobListQuery {
  type?: string;
  enabled?: 'true' | 'false';
  q?: string;
  sort?: string;
  limit?: number;
  offset?: number;
}

/** An answer other than 2xx: the server's `{ error: { code, message, field } }`. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The localStorage key the whole console (and its status tab) reads the token from. */
export const TOKEN_KEY = 'grove-jobs.token';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiClient {
  me(): Promise<Me>;
  jobTypes(): Promise<JobType[]>;
  jobs(query?: JobListQuery): Promise<JobList>;
  job(id: string): Promise<JobView>;
  createJob(config: unknown): Promise<JobView>;
  replaceJob(id: string, config: unknown, version: number): Promise<JobView>;
  patchJob(id: string, patch: unknown, version?: number): Promise<JobView>;
  deleteJob(id: string, version: number): Promise<void>;
  duplicateJob(id: string, copy?: { id?: string; title?: string }): Promise<JobView>;
  versions(id: string): Promise<ConfigVersion[]>;
  owners(id: string): Promise<FieldOwners>;
  restoreVersion(id: string, version: number, current: number): Promise<JobView>;
  runNow(id: string, options?: RunOptions): Promise<{ executionId: string; created: boolean }>;
  /** Pauses a job (POST /api/jobs/{id}/pause): `until` an ISO instant, omitted for until resumed. */
  pauseJob(id: string, pause: { reason: string; until?: string }): Promise<JobView>;
  /** Ends a job's pause at once (POST /api/jobs/{id}/resume). */
  resumeJob(id: string): Promise<JobView>;
  executions(id: string, limit?: number): Promise<ExecutionView[]>;
  preview(cron: string, tz: string, count?: number): Promise<SchedulePreview>;
  /** What a merge patch would do to the next runs (POST /api/jobs/{id}/preview); stores nothing. */
  previewChange(id: string, patch: unknown, version?: number): Promise<JobChangePreview>;
  rules(): Promise<AdvancementRule[]>;
  /** The signed-in user, when index.html's early read has already brought it (once): the first render needs no "Signing in…". */
  meAtHand(): Me | undefined;
  /** The list for `query`, when index.html's early read of it has already arrived (once). */
  jobsAtHand(query: JobListQuery): JobList | undefined;
  /** The job types, when index.html's early read of them has already arrived (once). */
  jobTypesAtHand(): JobType[] | undefined;
}

/** What the server answered: the status and the body as text. */
interface Answer {
  status: number;
  statusText: string;
  text: string;
}

/** One read index.html sent: its answer once it has arrived (null until then). */
interface EarlyRead {
  answer: Answer | null;
  promise: Promise<Answer>;
}

/**
 * The reads index.html's inline script sends before the bundle has loaded (the signed-in user
 * and the first page's data), by path, with the token they were sent with. The client takes each
 * once, instead of asking again: see `takeEarly` and `takeArrived`.
 */
interface EarlyReads {
  token: string;
  reads: Record<string, EarlyRead | undefined>;
}

declare global {
  interface Window {
    groveJobsEarly?: EarlyReads;
  }
}

function networkError(error: unknown): ApiRequestError {
  return new ApiRequestError(0, 'NETWORK', `the server did not answer (${(error as Error).message})`);
}

/** The early read of `path` sent with `token`, removed from the list (it is used once). */
function removeEarly(path: string, token: string | null): EarlyRead | undefined {
  const early = typeof window === 'undefined' ? undefined : window.groveJobsEarly;
  if (!early || token === null || early.token !== token) return undefined;
  const read = early.reads[path];
  delete early.reads[path];
  return read;
}

/** The answer to a GET of `path` that index.html already sent with `token`, once (later calls ask again). */
function takeEarly(path: string, token: string | null): Promise<Answer> | undefined {
  return removeEarly(path, token)?.promise.catch((error: unknown) => {
    throw networkError(error);
  });
}

/** The parsed body of an answer, or an ApiRequestError with the server's code, message and field. */
function parse<T>({ status, statusText, text }: Answer): T {
  if (status === 204) return undefined as T;
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (status < 200 || status > 299) {
    const error = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiRequestError(status, error?.code ?? `HTTP_${status}`, error?.message ?? (text || statusText), error?.field);
  }
  return parsed as T;
}

/**
 * The body of a GET of `path` that index.html sent with `token` and whose answer has already
 * arrived, taken once; undefined when there is none, it has not arrived or it is an error (the
 * next call for the path then takes it and reports the error).
 */
function takeArrived<T>(path: string, token: string | null): T | undefined {
  const early = typeof window === 'undefined' ? undefined : window.groveJobsEarly;
  const answer = early?.token === token ? early?.reads[path]?.answer : undefined;
  if (!answer || answer.status < 200 || answer.status > 299) return undefined;
  removeEarly(path, token);
  return parse<T>(answer);
}

/** One request: the parsed JSON answer, or an ApiRequestError with the server's code, message and field. */
async function send<T>(url: string, init: RequestInit, early?: Promise<Answer>): Promise<T> {
  if (early) return parse<T>(await early);
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw networkError(error);
  }
  return parse<T>({ status: response.status, statusText: response.statusText, text: response.status === 204 ? '' : await response.text() });
}

/**
 * Says that a request comes from the console: the server then records the console's changes as
 * `console:<token name>` (not `api:`), so that field owners and the history tell an operator's
 * edit here from a script's. A label, not a permission. index.html's early reads send it too.
 */
export const CLIENT_HEADER = { name: 'x-grove-client', value: 'console' } as const;

/** A JSON request: the bearer token when signed in, a body when given, and If-Match at `version`. */
function requestInit(method: Method, token: string | null, body?: unknown, version?: number): RequestInit {
  const headers: Record<string, string> = { accept: 'application/json', [CLIENT_HEADER.name]: CLIENT_HEADER.value };
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (version !== undefined) headers['if-match'] = `"${version}"`;
  return body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) };
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * The API client over `fetch`; `getToken` is read on every call so a new sign-in takes effect at
 * once. Paths are relative ('api/jobs'): they resolve against the document's base, which the
 * server sets to where the console is mounted; `base` (ending in '/') puts them elsewhere.
 */
export function createApiClient(getToken: () => string | null, base = ''): ApiClient {
  async function call<T>(method: Method, path: string, options: { body?: unknown; version?: number } = {}): Promise<T> {
    const token = getToken();
    const early = method === 'GET' && base === '' ? takeEarly(path, token) : undefined;
    return send<T>(`${base}${path}`, requestInit(method, token, options.body, options.version), early);
  }
  const enc = encodeURIComponent;
  const atHand = <T>(path: string) => (base === '' ? takeArrived<T>(path, getToken()) : undefined);
  return {
    me: () => call<Me>('GET', 'api/me'),
    jobTypes: async () => (await call<{ items: JobType[] }>('GET', 'api/job-types')).items,
    jobs: (q = {}) => call<JobList>('GET', `api/jobs${query({ ...q })}`),
    job: (id) => call<JobView>('GET', `api/jobs/${enc(id)}`),
    createJob: (config) => call<JobView>('POST', 'api/jobs', { body: config }),
    replaceJob: (id, config, version) => call<JobView>('PUT', `api/jobs/${enc(id)}`, { body: config, version }),
    patchJob: (id, patch, version) => call<JobView>('PATCH', `api/jobs/${enc(id)}`, version === undefined ? { body: patch } : { body: patch, version }),
    deleteJob: (id, version) => call<void>('DELETE', `api/jobs/${enc(id)}`, { version }),
    duplicateJob: (id, copy = {}) => call<JobView>('POST', `api/jobs/${enc(id)}/duplicate`, { body: copy }),
    versions: async (id) => (await call<{ items: ConfigVersion[] }>('GET', `api/jobs/${enc(id)}/versions`)).items,
    owners: async (id) => (await call<{ owners: FieldOwners }>('GET', `api/jobs/${enc(id)}/owners`)).owners,
    restoreVersion: (id, version, current) => call<JobView>('POST', `api/jobs/${enc(id)}/versions/${version}/restore`, { version: current }),
    runNow: (id, options = {}) => call<{ executionId: string; created: boolean }>('POST', `api/jobs/${enc(id)}/run`, { body: options }),
    pauseJob: (id, pause) => call<JobView>('POST', `api/jobs/${enc(id)}/pause`, { body: pause }),
    resumeJob: (id) => call<JobView>('POST', `api/jobs/${enc(id)}/resume`),
    executions: async (id, limit = 10) => (await call<{ items: ExecutionView[] }>('GET', `api/jobs/${enc(id)}/executions${query({ limit })}`)).items,
    preview: (cron, tz, count = 5) => call<SchedulePreview>('GET', `api/schedule/preview${query({ cron, tz, count })}`),
    previewChange: (id, patch, version) => call<JobChangePreview>('POST', `api/jobs/${enc(id)}/preview`, version === undefined ? { body: patch } : { body: patch, version }),
    rules: async () => (await call<{ items: AdvancementRule[] }>('GET', 'api/advancement-rules')).items,
    meAtHand: () => atHand<Me>('api/me'),
    jobsAtHand: (q) => atHand<JobList>(`api/jobs${query({ ...q })}`),
    jobTypesAtHand: () => atHand<{ items: JobType[] }>('api/job-types')?.items,
  };
}

// ── advancement rules, events and rollback (called with the token in localStorage) ──

export const RULE_SIGNAL_NAMES = ['retrievals', 'citations', 'queryDiversity', 'utilityScore'] as const;
export const RULE_OPERATOR_NAMES = ['>=', '>', '<=', '<', '=='] as const;
export const BOTANICAL_TIERS = ['seed', 'sprout', 'sapling', 'tree', 'grove'] as const;

export interface AdvancementRuleInput {
  meta: { id: string; title: string; version?: number };
  payload: AdvancementRule['payload'];
}

export interface AdvancementEvent {
  id: string;
  sproutId: string;
  ruleId: string | null;
  fromTier: string;
  toTier: string;
  eventType: string;
  executionId: string | null;
  criteriaMet: Array<{ signal: string; operator: string; threshold: number; value: number | null; met: boolean | null }> | null;
  signalValues: Record<string, unknown> | null;
  rolledBack: boolean;
  timestamp: string;
}

export interface RollbackItem {
  eventId: string;
  sproutId: string;
  ruleId: string | null;
  fromTier: string;
  toTier: string;
  currentTier: string | null;
  action: 'revert' | 'moved-on' | 'sprout-missing';
}

export interface RollbackAnswer {
  preview: boolean;
  plan: { items: RollbackItem[]; reverts: number; movedOn: number; missing: number };
  result?: { rollbackEventIds: string[]; reverted: RollbackItem[]; leftAlone: RollbackItem[] };
}

export interface RollbackRequest {
  since: string;
  until: string;
  ruleId?: string;
  executionId?: string;
  reason?: string;
  preview?: boolean;
}

async function groveCall<T>(method: Method, path: string, body?: unknown, version?: number): Promise<T> {
  return send<T>(path, requestInit(method, window.localStorage.getItem(TOKEN_KEY), body, version));
}

export const createRule = (rule: AdvancementRuleInput) => groveCall<AdvancementRule>('POST', 'api/advancement-rules', rule);
export const updateRule = (rule: AdvancementRuleInput) => groveCall<AdvancementRule>('PUT', `api/advancement-rules/${encodeURIComponent(rule.meta.id)}`, rule);
/** Deletes a rule at the version shown (a stale one gets 409); its past events keep its id. */
export const deleteRule = (rule: AdvancementRule) =>
  groveCall<void>('DELETE', `api/advancement-rules/${encodeURIComponent(rule.meta.id)}`, undefined, rule.meta.version);
export const advancementEvents = async (q: { since?: string; until?: string; ruleId?: string; limit?: number } = {}) =>
  (await groveCall<{ items: AdvancementEvent[] }>('GET', `api/advancement-events${query(q)}`)).items;
export const rollbackAdvancements = (request: RollbackRequest) => groveCall<RollbackAnswer>('POST', 'api/advancement-events/rollback', request);
