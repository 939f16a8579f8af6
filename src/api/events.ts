import { createHash } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { ApiSystem } from './system.js';
import { storeRetryDelayMs } from '../domain/execution/index.js';
import type { ChangesSince, ExecutionChange, ExecutionRecord } from '../engine/ports.js';
import { ApiError, type ApiEnv, requireRole } from './http.js';
import { validationHook } from './validation.js';
import { bearer, errorResponses, ErrorSchema, responseHeaders } from './views.js';

/** How often the watcher reads the executions table for changes other processes made. */
export const POLL_INTERVAL_MS = 400;
/** Polls closer together than this wait, however often other processes ring. */
const MIN_POLL_GAP_MS = 100;
/** Where NOTIFY cannot reach this process, config versions are read on every this-many polls. */
const CONFIG_POLL_EVERY = 5;
/**
 * Finished executions are read back this far before the previous poll: another process's
 * clock may run a little behind ours. What was already sent is not sent twice. A reconnecting
 * client is replayed from this far before its last event's time, for the same reason (and a
 * change committed just after a poll began).
 */
const FINISHED_MARGIN_MS = 5_000;
/** Executions one poll reads at most (running and just-ended first, then the newest queued). */
const POLL_LIMIT = 1_000;
/** Executions whose last sent state the watcher remembers; the oldest are forgotten first. */
const MAX_TRACKED = 5_000;
/** A comment line keeps proxies and browsers from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;
/**
 * Messages waiting for one slow client. Progress of an execution replaces its previous
 * progress still waiting; beyond this the client gets one `resync` and should reload.
 */
export const CLIENT_BUFFER = 1_000;
/**
 * Streams open at once per process: each holds a socket and a buffer of up to CLIENT_BUFFER
 * messages. Past it a new stream is answered 503 (the server is full, not the caller at fault).
 */
export const MAX_STREAMS = 1_000;
/**
 * Streams one token may hold open at once: a console tab holds one, so this leaves room for a
 * person's tabs and a few dashboards, while no one token can take the process's MAX_STREAMS
 * from everyone else. Past it a new stream is answered 429.
 */
export const MAX_STREAMS_PER_TOKEN = 20;
/**
 * How far back a reconnecting client (`Last-Event-ID`) is replayed from the database: time
 * enough for a network change, a laptop lid or a restart of the server or a proxy. A client
 * gone longer gets one `resync` and reloads, which is then as cheap as the replay.
 */
export const REPLAY_WINDOW_MS = 5 * 60_000;
/**
 * Events one replay sends at most; more missed and the client gets one `resync` instead. The
 * same as a connected client's buffer: a client that far behind is told to reload either way.
 */
export const REPLAY_LIMIT = CLIENT_BUFFER;
/**
 * Configs made within FINISHED_MARGIN_MS of a client's last event (either side: clocks differ)
 * that a replay tries both ways when telling whether the client's configs all still exist
 * (2^this combinations at most). More, and it sends `resync` rather than guess.
 */
const MAX_UNSURE_CONFIGS = 10;

const TERMINAL = new Set(['success', 'partial', 'failed', 'timeout', 'cancelled', 'skipped']);

/** What an `execution` event carries (ISO 8601 times). */
export interface LiveExecution {
  id: string;
  configId: string;
  jobType: string;
  status: string;
  trigger: string;
  attempt: number;
  slot: string | null;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  items: { total: number | null; processed: number; succeeded: number; failed: number };
  summary: string | null;
  error: { message: string } | null;
  /** A dry run (absent on a progress event of an execution this process has not seen yet). */
  dryRun?: boolean;
}

/** What a `config` event carries: `version` null when the config was deleted. */
export interface LiveConfig {
  configId: string;
  change: 'changed' | 'deleted' | 'paused';
  version: number | null;
  consecutiveFailures?: number;
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

function fromRecord(e: ExecutionRecord): LiveExecution {
  return {
    id: e.id,
    configId: e.configId,
    jobType: e.config.payload.jobType,
    status: e.status,
    trigger: e.trigger,
    attempt: e.attempt,
    slot: iso(e.slot),
    queuedAt: iso(e.queuedAt),
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
    durationMs: e.durationMs,
    items: { ...e.items },
    summary: e.summary,
    error: e.error ? { message: e.error.message } : null,
    // As the worker runs it: the per-run override, or the dryRun parameter of its config version.
    dryRun: e.dryRun || e.config.payload.parameters['dryRun'] === true,
  };
}

function fromChange(e: ExecutionChange): LiveExecution {
  return {
    id: e.id,
    configId: e.configId,
    jobType: e.jobType,
    status: e.status,
    trigger: e.trigger,
    attempt: e.attempt,
    slot: iso(e.slot),
    queuedAt: iso(e.queuedAt),
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
    durationMs: e.durationMs,
    items: { ...e.items },
    summary: e.summary,
    error: e.error,
    dryRun: e.dryRun,
  };
}

const rank = (status: string) => (status === 'queued' ? 0 : status === 'running' ? 1 : 2);
const itemSum = (e: LiveExecution) => e.items.processed + e.items.succeeded + e.items.failed;

function differs(a: LiveExecution, b: LiveExecution): boolean {
  return (
    a.status !== b.status ||
    a.startedAt !== b.startedAt ||
    a.finishedAt !== b.finishedAt ||
    a.items.total !== b.items.total ||
    a.items.processed !== b.items.processed ||
    a.items.succeeded !== b.items.succeeded ||
    a.items.failed !== b.items.failed
  );
}

/**
 * Whether the database shows an execution further along than what this process sent from its
 * own engine events. The database lags those (progress is written at most once a second), so
 * only a later status, a restart, or more items done count.
 */
function isAhead(db: LiveExecution, local: LiveExecution): boolean {
  if (rank(db.status) !== rank(local.status)) return rank(db.status) > rank(local.status);
  if (db.startedAt !== null && local.startedAt !== null && db.startedAt !== local.startedAt) return true;
  return db.status === 'running' && itemSum(db) > itemSum(local);
}

interface Message {
  event: 'execution' | 'config' | 'resync';
  data: string;
  /** The SSE `id` (see EventIds). */
  id: string;
  /** For coalescing: the execution and status of an `execution` message. */
  key?: string;
}

/**
 * What an event's `id` says, written `<ms>-<seq>-<digest>`: `ms`, the time on the server's
 * clock up to which the watcher had read the database when the event was sent (the start of
 * its last poll), so that a client holding the id has been sent every change made before it
 * (less FINISHED_MARGIN_MS for clocks and commits in flight); `seq`, a counter that makes ids
 * unique; `digest`, the config ids the watcher knew then (configDigest), by which a replay
 * tells that one was deleted (a deletion leaves no row to replay). Without a digest (the
 * watcher had not read the configs yet) the id cannot be resumed from.
 */
interface EventCursor {
  at: number;
  digest: string | undefined;
}

const EVENT_ID = /^(\d{1,15})-\d{1,15}(?:-([0-9a-f]{8}))?$/;

function parseEventId(text: string): EventCursor | undefined {
  const match = EVENT_ID.exec(text.trim());
  if (!match) return undefined;
  return { at: Number(match[1]), digest: match[2] };
}

/** Makes the ids of one route's events: unique per process by their counter. */
class EventIds {
  #seq = 0;

  next(cursor: EventCursor): string {
    this.#seq = (this.#seq + 1) % Number.MAX_SAFE_INTEGER;
    return cursor.digest === undefined ? `${cursor.at}-${this.#seq}` : `${cursor.at}-${this.#seq}-${cursor.digest}`;
  }
}

/** 32 bits of a config id's SHA-256: XORed together they digest a set of ids in any order. */
function idHash(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0);
}

const hex32 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** A set of config ids as 8 hex digits (the XOR of their idHash). */
function configDigest(ids: Iterable<string>): string {
  let digest = 0;
  for (const id of ids) digest ^= idHash(id);
  return hex32(digest);
}

/**
 * Whether the configs a client knew at `at` (their `digest`) all still exist. The configs
 * made before `at` - FINISHED_MARGIN_MS must be among them; those made within the margin either
 * side of `at` may or may not have been known, so each combination of them is tried. A config
 * deleted meanwhile (or any set the digest does not match) answers false.
 */
function noneDeleted(digest: string, at: number, configs: ChangesSince['configs']): boolean {
  let known = 0;
  const unsure: number[] = [];
  for (const config of configs) {
    const made = config.createdAt.getTime();
    if (made <= at - FINISHED_MARGIN_MS) known ^= idHash(config.id);
    else if (made <= at + FINISHED_MARGIN_MS) unsure.push(idHash(config.id));
  }
  if (unsure.length > MAX_UNSURE_CONFIGS) return false;
  for (let mask = 0; mask < 1 << unsure.length; mask++) {
    let candidate = known;
    unsure.forEach((hash, i) => {
      if (mask & (1 << i)) candidate ^= hash;
    });
    if (hex32(candidate) === digest) return true;
  }
  return false;
}

/** What a client gets first: `ready` with its id, then these (the replay, or one `resync`). */
interface Opening {
  readyId: string;
  resumed: boolean;
  messages: Message[];
}

/** One SSE client: a bounded buffer the watcher fills and the client's loop drains. */
class Client {
  /** The token holding the stream (ApiEnv's `tokenId`). */
  readonly token: string;
  readonly #buffer: Message[] = [];
  /** The execution message still waiting per execution id, so progress replaces progress. */
  readonly #pending = new Map<string, Message>();
  #wake: (() => void) | undefined;
  closed = false;

  constructor(token: string) {
    this.token = token;
  }

  push(message: Message, executionId?: string): void {
    if (this.closed) return;
    if (executionId !== undefined) {
      const waiting = this.#pending.get(executionId);
      if (waiting && waiting.key === message.key) {
        waiting.data = message.data;
        return;
      }
    }
    if (this.#buffer.length >= CLIENT_BUFFER) {
      this.#buffer.length = 0;
      this.#pending.clear();
      this.#buffer.push({ event: 'resync', data: JSON.stringify({ reason: 'this client fell behind; reload the state' }), id: message.id });
    }
    this.#buffer.push(message);
    if (executionId !== undefined) this.#pending.set(executionId, message);
    this.wake();
  }

  take(): Message[] {
    const messages = this.#buffer.splice(0);
    this.#pending.clear();
    return messages;
  }

  get waiting(): number {
    return this.#buffer.length;
  }

  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves at the next push or wake. */
  nextWake(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }
}

interface Tracked {
  view: LiveExecution;
  source: 'local' | 'poll';
}

/**
 * The live-event source shared by every SSE client of one process. While at least one client
 * is connected it forwards this process's engine events at once and polls the executions
 * table for what other processes did (every POLL_INTERVAL_MS on the engine's clock, and at
 * once when a NOTIFY says executions changed); config changes come from engine events,
 * NOTIFY and, only where NOTIFY cannot reach, a periodic read of config versions. It stops when
 * the last client leaves.
 */
class LiveEventWatcher {
  readonly #system: ApiSystem;
  readonly #clients = new Set<Client>();
  /** Open streams per token (only tokens with one or more). */
  readonly #perToken = new Map<string, number>();
  readonly #ids = new EventIds();
  readonly #replayLimit: number;
  #session: Session | undefined;

  constructor(system: ApiSystem, replayLimit: number) {
    this.#system = system;
    this.#replayLimit = replayLimit;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  streamsOf(token: string): number {
    return this.#perToken.get(token) ?? 0;
  }

  /** Adds a client (counted at once); resolves once the watcher knows the current state (so nothing after this is missed). */
  async add(client: Client): Promise<void> {
    this.#clients.add(client);
    this.#perToken.set(client.token, this.streamsOf(client.token) + 1);
    this.#session ??= new Session(this.#system, this.#clients, this.#ids);
    await this.#session.ready;
  }

  /** An id for what a client has been sent by now (its buffer empty): a heartbeat's. */
  currentId(): string {
    return this.#session?.eventId() ?? this.#ids.next({ at: this.#system.clock.now().getTime(), digest: undefined });
  }

  /**
   * What a client added just now gets after `ready`: with `lastEventId`, the changes since
   * that event read from the database (oldest first; those also arriving live come twice, which
   * their data makes harmless), or one `resync` when they cannot be: an id this server did not
   * make, older than REPLAY_WINDOW_MS, a config deleted since, more than REPLAY_LIMIT changes,
   * or the database not answering. Live events wait in the client's buffer meanwhile, so
   * nothing falls between the replay and them.
   */
  async opening(lastEventId: string | undefined): Promise<Opening> {
    if (lastEventId === undefined || lastEventId === '') return { readyId: this.currentId(), resumed: false, messages: [] };
    const resync = (reason: string): Opening => {
      const id = this.currentId();
      return { readyId: id, resumed: false, messages: [{ event: 'resync', data: JSON.stringify({ reason: `${reason}; reload the state` }), id }] };
    };
    const cursor = parseEventId(lastEventId);
    if (!cursor || cursor.digest === undefined) return resync('the last event id is not one this server can resume from');
    const { clock, store } = this.#system;
    const now = clock.now().getTime();
    if (now - cursor.at > REPLAY_WINDOW_MS) return resync(`the last event is more than ${REPLAY_WINDOW_MS / 60_000} minutes old`);
    if (cursor.at > now + FINISHED_MARGIN_MS) return resync("the last event id is ahead of this server's clock");
    const since = cursor.at - FINISHED_MARGIN_MS;
    let changes: ChangesSince;
    try {
      changes = await store.changesSince({ since: new Date(since), limit: this.#replayLimit + 1 });
    } catch {
      return resync('the database did not answer for the events missed');
    }
    if (!noneDeleted(cursor.digest, cursor.at, changes.configs)) return resync('a config was deleted since the last event');
    const missed = planReplay(changes, since);
    if (missed.length > this.#replayLimit) return resync(`more than ${this.#replayLimit} changes were missed`);
    // The replayed events keep the client's position: cut off during the replay, it is
    // replayed from the same point again. Live events after them carry the watcher's.
    return { readyId: this.#ids.next(cursor), resumed: true, messages: missed.map((m) => ({ ...m, id: this.#ids.next(cursor) })) };
  }

  /** Ends every stream (the server is stopping): one listener on the server's signal, not one per stream. */
  closeAll(): void {
    for (const client of this.#clients) {
      client.closed = true;
      client.wake();
    }
  }

  remove(client: Client): void {
    client.closed = true;
    client.wake();
    // Called by the stream's abort and by its loop's end: counted down once.
    if (!this.#clients.delete(client)) return;
    const left = this.streamsOf(client.token) - 1;
    if (left > 0) this.#perToken.set(client.token, left);
    else this.#perToken.delete(client.token);
    if (this.#clients.size === 0 && this.#session) {
      this.#session.stop();
      this.#session = undefined;
    }
  }
}

/** One run of the watcher, from its first client to its last. */
class Session {
  readonly ready: Promise<void>;
  readonly #system: ApiSystem;
  readonly #clients: ReadonlySet<Client>;
  readonly #ids: EventIds;
  /** The start of the last poll that read the database (ms on the engine's clock): what event ids say. */
  #readThrough: number;
  /** configDigest of #configVersions' ids, undefined until computed again after a change. */
  #digest: string | undefined;
  readonly #stop = new AbortController();
  readonly #tracked = new Map<string, Tracked>();
  #configVersions: Map<string, number> | undefined;
  #wakePoll: AbortController | undefined;
  #pollRequested = false;
  /** Read every config's version on the next poll: notifications may have been lost (a failed poll, or the store listening anew). */
  #configsStale = false;
  readonly #cleanups: Array<() => void | Promise<void>> = [];

  constructor(system: ApiSystem, clients: ReadonlySet<Client>, ids: EventIds) {
    this.#system = system;
    this.#clients = clients;
    this.#ids = ids;
    this.#readThrough = system.clock.now().getTime();
    this.#listenLocally();
    let markReady!: () => void;
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    void this.#pollLoop(markReady);
    void this.#listenAcrossProcesses();
  }

  stop(): void {
    this.#stop.abort();
    for (const cleanup of this.#cleanups.splice(0)) {
      void Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    }
  }

  /** An id for an event sent now (see EventCursor). */
  eventId(): string {
    const versions = this.#configVersions;
    if (versions !== undefined) this.#digest ??= configDigest(versions.keys());
    return this.#ids.next({ at: this.#readThrough, digest: versions === undefined ? undefined : this.#digest });
  }

  #broadcast(message: Omit<Message, 'id'>, executionId?: string): void {
    const id = this.eventId();
    for (const client of this.#clients) client.push({ ...message, id }, executionId);
  }

  #sendExecution(view: LiveExecution, source: Tracked['source']): void {
    this.#track(view, source);
    this.#broadcast({ event: 'execution', data: JSON.stringify(view), key: view.status }, view.id);
  }

  #track(view: LiveExecution, source: Tracked['source']): void {
    this.#tracked.delete(view.id);
    this.#tracked.set(view.id, { view, source });
    if (this.#tracked.size > MAX_TRACKED) {
      for (const id of this.#tracked.keys()) {
        this.#tracked.delete(id);
        if (this.#tracked.size <= MAX_TRACKED) break;
      }
    }
  }

  #sendConfig(change: LiveConfig): void {
    this.#broadcast({ event: 'config', data: JSON.stringify(change) });
  }

  #listenLocally(): void {
    const { events } = this.#system;
    const local = (record: ExecutionRecord) => this.#sendExecution(fromRecord(record), 'local');
    this.#cleanups.push(
      events.on('execution:queued', local),
      events.on('execution:started', local),
      events.on('execution:finished', local),
      events.on('execution:progress', ({ executionId, configId, items }) => {
        const known = this.#tracked.get(executionId)?.view;
        const base: LiveExecution = known ?? {
          id: executionId,
          configId,
          jobType: '',
          status: 'running',
          trigger: '',
          attempt: 1,
          slot: null,
          queuedAt: null,
          startedAt: null,
          finishedAt: null,
          durationMs: null,
          items,
          summary: null,
          error: null,
        };
        if (TERMINAL.has(base.status)) return;
        this.#sendExecution({ ...base, status: 'running', items: { ...items } }, 'local');
      }),
      events.on('config:changed', ({ configId }) => void this.#checkConfig(configId)),
      events.on('config:paused', ({ configId, consecutiveFailures }) => {
        this.#sendConfig({ configId, change: 'paused', version: this.#configVersions?.get(configId) ?? null, consecutiveFailures });
      }),
    );
  }

  /** NOTIFY from any process where the transport carries it: configs at once, executions by an early poll. */
  async #listenAcrossProcesses(): Promise<void> {
    const { store } = this.#system;
    for (const subscribe of [
      () =>
        store.onConfigChanged((configId) => {
          if (configId !== undefined) void this.#checkConfig(configId);
          else {
            this.#configsStale = true;
            this.#requestPoll();
          }
        }),
      () => store.onExecutionsChanged(() => this.#requestPoll()),
    ]) {
      try {
        const unlisten = await subscribe();
        if (this.#stop.signal.aborted) await unlisten();
        else this.#cleanups.push(unlisten);
      } catch {
        // No NOTIFY on this transport: the polls cover it.
      }
    }
  }

  /** Sends a config event when the config's version differs from the one last seen. */
  async #checkConfig(configId: string): Promise<void> {
    if (this.#stop.signal.aborted) return;
    let version: number | null;
    try {
      version = (await this.#system.store.getConfig(configId))?.meta.version ?? null;
    } catch {
      return;
    }
    if (this.#stop.signal.aborted) return;
    const versions = (this.#configVersions ??= new Map());
    const known = versions.get(configId) ?? null;
    if (known === version) return;
    if (version === null) versions.delete(configId);
    else versions.set(configId, version);
    this.#digest = undefined;
    this.#sendConfig({ configId, change: version === null ? 'deleted' : 'changed', version });
  }

  #requestPoll(): void {
    this.#pollRequested = true;
    this.#wakePoll?.abort();
  }

  async #pollLoop(markReady: () => void): Promise<void> {
    const { clock, store } = this.#system;
    const signal = this.#stop.signal;
    let finishedSince = new Date(clock.now().getTime() - FINISHED_MARGIN_MS);
    let polls = 0;
    /** Failed polls in a row: they set the backoff of the next. */
    let failures = 0;
    while (!signal.aborted) {
      const now = clock.now();
      const lastPoll = now.getTime();
      this.#pollRequested = false;
      // The first poll learns every config's version; later ones only where no NOTIFY comes.
      const withConfigs = polls === 0 || this.#configsStale || (!store.hearsOtherProcesses && polls % CONFIG_POLL_EVERY === 0);
      this.#configsStale = false;
      const ids = [...this.#tracked.values()].filter((t) => !TERMINAL.has(t.view.status)).map((t) => t.view.id).slice(-POLL_LIMIT);
      try {
        const watch = await store.watchExecutions({ ids, finishedSince, limit: POLL_LIMIT, configs: withConfigs });
        if (signal.aborted) break;
        this.#readThrough = now.getTime();
        this.#applyPoll(watch.executions, polls === 0);
        if (watch.configs) this.#applyConfigs(watch.configs, polls === 0);
        finishedSince = new Date(now.getTime() - FINISHED_MARGIN_MS);
        polls++;
        failures = 0;
      } catch {
        // The database did not answer this time: the next poll tries again, after a short
        // backoff, and reads the configs too (a NOTIFY may have been lost meanwhile).
        failures++;
        this.#configsStale = true;
      }
      if (polls <= 1) markReady();
      const wake = new AbortController();
      this.#wakePoll = wake;
      const onStop = () => wake.abort();
      signal.addEventListener('abort', onStop, { once: true });
      try {
        const gap = failures > 0 ? Math.max(POLL_INTERVAL_MS, storeRetryDelayMs(failures, Math.random())) : POLL_INTERVAL_MS;
        if (!this.#pollRequested) await clock.sleepUntil(new Date(lastPoll + gap), wake.signal);
      } catch {
        // Woken early: by a NOTIFY (poll soon) or by stop (the loop ends).
      } finally {
        signal.removeEventListener('abort', onStop);
        this.#wakePoll = undefined;
      }
      if (signal.aborted) break;
      // A burst of NOTIFYs still polls at most every MIN_POLL_GAP_MS.
      const gapEnd = lastPoll + MIN_POLL_GAP_MS;
      if (clock.now().getTime() < gapEnd) await clock.sleepUntil(new Date(gapEnd), signal).catch(() => undefined);
    }
    markReady();
  }

  #applyPoll(changes: readonly ExecutionChange[], baseline: boolean): void {
    const seen = new Set<string>();
    for (const change of changes) {
      const view = fromChange(change);
      seen.add(view.id);
      const known = this.#tracked.get(view.id);
      if (baseline) {
        this.#track(view, 'poll');
        continue;
      }
      if (!known || (known.source === 'poll' ? differs(known.view, view) : isAhead(view, known.view))) this.#sendExecution(view, 'poll');
    }
    // Ended executions the poll no longer returns will not come back: forget them.
    for (const [id, tracked] of this.#tracked) {
      if (TERMINAL.has(tracked.view.status) && !seen.has(id) && tracked.source === 'poll') this.#tracked.delete(id);
    }
  }

  #applyConfigs(configs: ReadonlyArray<{ id: string; version: number }>, baseline: boolean): void {
    const previous = this.#configVersions;
    const current = new Map(configs.map((c) => [c.id, c.version]));
    this.#configVersions = current;
    this.#digest = undefined;
    if (baseline || !previous) return;
    for (const [configId, version] of current) {
      if (previous.get(configId) !== version) this.#sendConfig({ configId, change: 'changed', version });
    }
    for (const configId of previous.keys()) {
      if (!current.has(configId)) this.#sendConfig({ configId, change: 'deleted', version: null });
    }
  }
}

/** The events a replay sends for `changes` since `since` (ms), oldest change first. */
function planReplay(changes: ChangesSince, since: number): Array<Omit<Message, 'id'>> {
  const timed: Array<{ at: number; message: Omit<Message, 'id'> }> = [];
  for (const execution of changes.executions) {
    const at = Math.max(execution.queuedAt.getTime(), execution.startedAt?.getTime() ?? 0, execution.finishedAt?.getTime() ?? 0);
    timed.push({ at, message: { event: 'execution', data: JSON.stringify(fromChange(execution)) } });
  }
  const config = (change: LiveConfig): Omit<Message, 'id'> => ({ event: 'config', data: JSON.stringify(change) });
  for (const c of changes.configs) {
    const updated = c.updatedAt.getTime();
    if (updated >= since) timed.push({ at: updated, message: config({ configId: c.id, change: 'changed', version: c.version }) });
    const paused = c.pausedAt?.getTime();
    if (paused !== undefined && paused >= since) {
      timed.push({ at: paused, message: config({ configId: c.id, change: 'paused', version: c.version, consecutiveFailures: c.consecutiveFailures }) });
    }
  }
  // Stable: an execution and a config change at the same instant stay in the order read.
  return timed.sort((a, b) => a.at - b.at).map((t) => t.message);
}

/** How long a browser waits before reconnecting a stream that broke (the `retry` field of `ready`). */
const RETRY_MS = 3_000;

/**
 * Writes a client's opening (`ready`, then what it missed or one `resync`) and then its
 * messages until it closes: its stream ends, or the server stops (LiveEventWatcher.closeAll).
 * A heartbeat carries an id too, so a quiet stream's position keeps up (an `id` line with no
 * data moves the client's Last-Event-ID without making an event).
 */
async function runClient(stream: SSEStreamingApi, client: Client, system: ApiSystem, opening: Opening, currentId: () => string): Promise<void> {
  const { clock } = system;
  await stream.writeSSE({ event: 'ready', data: JSON.stringify({ at: clock.now().toISOString(), resumed: opening.resumed }), id: opening.readyId, retry: RETRY_MS });
  for (const message of opening.messages) await stream.writeSSE({ event: message.event, data: message.data, id: message.id });
  let lastWrite = clock.now().getTime();
  while (!client.closed && !stream.aborted) {
    if (client.waiting === 0) {
      const idle = new AbortController();
      const woken = client.nextWake();
      try {
        await Promise.race([woken, clock.sleepUntil(new Date(lastWrite + HEARTBEAT_MS), idle.signal)]);
      } finally {
        idle.abort();
      }
    }
    if (client.closed || stream.aborted) break;
    const messages = client.take();
    if (messages.length > 0) {
      for (const message of messages) await stream.writeSSE({ event: message.event, data: message.data, id: message.id });
      lastWrite = clock.now().getTime();
    } else if (clock.now().getTime() >= lastWrite + HEARTBEAT_MS) {
      // Everything broadcast so far was written: the watcher's position is this client's.
      await stream.write(`: heartbeat\nid: ${currentId()}\n\n`);
      lastWrite = clock.now().getTime();
    }
  }
}

/** The route's OpenAPI description: the events, their data, their ids and resuming a stream. */
const EVENTS_DESCRIPTION = [
  'A stream of server-sent events (`text/event-stream`). Every event has an `event` name, JSON `data` and an `id`.',
  '',
  '- `ready`, always first: `{ at, resumed }`, the server time (ISO 8601) and whether the events missed since `Last-Event-ID` follow. It sets `retry: ' +
    `${RETRY_MS}\` (ms before a browser reconnects).`,
  '- `execution` when an execution is queued, starts, makes progress or ends: `{ id, configId, jobType, status, trigger, attempt, slot, queuedAt, startedAt, finishedAt, durationMs, items: { total, processed, succeeded, failed }, summary, error: { message } | null, dryRun }` (times ISO 8601 or null).',
  '- `config` when a config is created or changed (`{ configId, change: "changed", version }`), deleted (`change: "deleted"`, `version: null`) or paused after failures (`change: "paused"`, `version`, `consecutiveFailures`).',
  '- `resync`: `{ reason }`. Events were lost for this client (it fell behind, or what it missed cannot be replayed): reload the state. Sent once; the stream carries on live.',
  '',
  'The same change may come twice (a state, not a delta). A comment line every 15 s keeps the stream open; it carries an `id` too (no event), so a quiet stream\'s position keeps up.',
  '',
  '**Resuming.** Reconnect with the last `id` received in the `Last-Event-ID` header (browsers\' EventSource does so by itself) or, where headers cannot be set, the `lastEventId` query parameter. ' +
    `The changes since then are replayed from the database, oldest first, after \`ready\` (\`resumed: true\`): at most ${REPLAY_LIMIT} events and ${REPLAY_WINDOW_MS / 60_000} minutes back. ` +
    'When that cannot be done (an id older than that or not from this server, more changes missed, a config deleted meanwhile) one `resync` follows `ready` instead. Ids are opaque: compare them for equality only.',
].join('\n');

/**
 * `GET /api/events`: server-sent events for execution and config changes, from this process
 * and (through the database) every other process on the same store, resumable with
 * `Last-Event-ID` (see EVENTS_DESCRIPTION). `signal` ends every stream (server shutdown). At most
 * `maxStreamsPerToken` streams per token (429 beyond) and `maxStreams` per process (503 beyond).
 */
export function eventsRoute(deps: {
  system: ApiSystem;
  signal?: AbortSignal;
  maxStreams?: number;
  maxStreamsPerToken?: number;
  /** Events one replay sends at most (REPLAY_LIMIT; smaller in tests). */
  replayLimit?: number;
}): OpenAPIHono<ApiEnv> {
  const { system } = deps;
  const stop = deps.signal ?? new AbortController().signal;
  const maxStreams = deps.maxStreams ?? MAX_STREAMS;
  const maxPerToken = deps.maxStreamsPerToken ?? MAX_STREAMS_PER_TOKEN;
  const watcher = new LiveEventWatcher(system, deps.replayLimit ?? REPLAY_LIMIT);
  stop.addEventListener('abort', () => watcher.closeAll(), { once: true });
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      operationId: 'streamEvents',
      summary: 'Live execution and config changes as server-sent events (from every process on the store)',
      description: EVENTS_DESCRIPTION,
      tags: ['events'],
      security: bearer,
      middleware: [requireRole('viewer')] as const,
      request: {
        headers: z.object({
          'last-event-id': z.string().optional().openapi({ description: 'The `id` of the last event received: the stream replays what came after it, or sends one `resync`' }),
        }),
        query: z.object({
          token: z.string().optional().openapi({ description: 'The API token, for clients that cannot send an Authorization header (a browser’s EventSource); this route alone takes it here. The access log never records it.' }),
          lastEventId: z.string().optional().openapi({ description: 'As the `Last-Event-ID` header, for clients that cannot set headers; the header wins when both are sent' }),
        }),
      },
      responses: {
        200: {
          description: 'An event stream: `ready`, then `execution`, `config` and `resync` events, each with an `id`',
          headers: { ...responseHeaders.requestId },
          content: { 'text/event-stream': { schema: z.string().openapi({ example: 'event: ready\ndata: {"at":"2026-12-07T10:00:00.000Z","resumed":false}\nid: 1796637600000-1-3fa9c2d1\nretry: 3000\n\n' }) } },
        },
        400: errorResponses[400],
        401: errorResponses[401],
        403: errorResponses[403],
        429: {
          description: `This token holds the most event streams it may (${maxPerToken}): close one first; or too many failed authentications (see Retry-After)`,
          headers: { ...responseHeaders.requestId, 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
          content: { 'application/json': { schema: ErrorSchema } },
        },
        500: errorResponses[500],
        503: {
          description: `The process holds the most event streams it may (${maxStreams}), or is stopping`,
          headers: { ...responseHeaders.requestId, 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      if (stop.aborted) throw new ApiError(503, 'STOPPING', 'the server is stopping');
      // Counted by the token's identity (tokenName where a stub auth sets no id).
      const token = c.get('tokenId') ?? `name ${c.get('tokenName')}`;
      if (watcher.streamsOf(token) >= maxPerToken) {
        throw new ApiError(429, 'TOO_MANY_STREAMS_FOR_TOKEN', `this token already holds ${maxPerToken} event streams, the most one token may; close one (another tab or client) and try again`);
      }
      if (watcher.clientCount >= maxStreams) {
        c.header('Retry-After', '30');
        throw new ApiError(503, 'TOO_MANY_STREAMS', 'the server holds as many event streams as it can; try again later');
      }
      // The header as a browser's EventSource sends it on reconnecting; the query for a client
      // that cannot set headers (a new EventSource). The header is the newer when both come.
      const lastEventId = c.req.header('last-event-id') ?? c.req.query('lastEventId');
      const client = new Client(token);
      await watcher.add(client);
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => watcher.remove(client));
        try {
          const opening = await watcher.opening(lastEventId);
          await runClient(stream, client, system, opening, () => watcher.currentId());
        } finally {
          watcher.remove(client);
        }
      });
    },
  );

  return app;
}
