import {
  applyMergePatch,
  ConfigError,
  ConfigErrorCode,
  configLeaves,
  type ConfigChange,
  diffConfigs,
  type FieldOwners,
  invalidConfig,
  type JobConfig,
  type JobTypeRegistry,
  managerOfActor,
  mapSecretLeaves,
  planOwners,
  planPause,
  redactChanges,
  scheduleShape,
  secretPathsOf,
  validateJobConfig,
} from '../domain/config/index.js';
import { planSchedulePreview, type SchedulePreview } from '../domain/schedule/index.js';
import { applyConfigs, type ApplyOptions, type ApplyResult } from './config-apply.js';
import { ConfigSecrets, type RunSecrets } from './config-secrets.js';
import type { EngineEvents } from './events.js';
import type { AppliedDeclaration, Clock, ConfigOverview, ConfigVersionRecord, ConfigWrite, Store } from './ports.js';

export interface WriteOptions {
  /** Who makes the change, recorded in the version history. */
  actor: string;
  /** The version the change is based on; a stale one is refused and changes nothing. */
  expectedVersion?: number;
  /**
   * Told the secrets a write dropped because it changed where they are sent (the request
   * URL's or webhook URL's origin) without setting them again; dotted paths.
   */
  onSecretsDropped?: (paths: string[]) => void;
  /** A declaration's apply (config-apply.ts): remembered with the write. */
  applied?: AppliedDeclaration;
  /** Who the fields this write sets will belong to (default: the actor's, domain/config/apply.ts managerOfActor). */
  manager?: string;
  /** A note kept with the new version. */
  message?: string;
  /** Fields that become the writer's even where unchanged, and fields that become no one's (an apply's claim and release). */
  claimed?: readonly string[];
  released?: readonly string[];
}

/** What a change would do to a config's schedule, and the fields it sets (secrets redacted). */
export interface ChangePreview extends SchedulePreview {
  changes: ConfigChange[];
}

/** Runs listed per side of a preview: the schedule domain's default ten. */
const PREVIEW_RUNS = 10;

/** Re-reads allowed for a change not pinned to a version, when writers keep racing it. */
const UNPINNED_WRITE_ATTEMPTS = 5;

function notFound(id: string): ConfigError {
  return new ConfigError(ConfigErrorCode.NotFound, `job config '${id}' does not exist`, [{ path: 'meta.id', message: `'${id}' does not exist` }]);
}

function conflict(id: string, current: number, based: number): ConfigError {
  return new ConfigError(
    ConfigErrorCode.VersionConflict,
    `job config '${id}' is at version ${current}, not ${based}: someone else saved first; reload and reapply your change`,
    [{ path: 'meta.version', message: `is ${current}, not ${based}` }],
  );
}

/** `scheme://host:port` of a URL-valued field, or undefined when it has none (or no valid one). */
function originOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

function section(config: unknown, name: 'parameters' | 'notifications'): Record<string, unknown> {
  const value = (config as { payload?: Record<string, unknown> } | undefined)?.payload?.[name];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * Job configs as operators change them: every change validated whole, stored as a new
 * version with who changed what, guarded by the version it was based on. Secret values are
 * stored sealed (see ConfigSecrets); the version history records that a secret changed,
 * never its value.
 */
export class ConfigService {
  readonly secrets: ConfigSecrets;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly registry: JobTypeRegistry,
    private readonly events?: EngineEvents,
    secrets?: ConfigSecrets,
  ) {
    this.secrets = secrets ?? new ConfigSecrets(registry);
  }

  /** The config a handler runs with (secrets decrypted, once per version) and the masker for what it produces. */
  forRun(config: JobConfig): RunSecrets {
    return this.secrets.forRun(config);
  }

  list(): Promise<JobConfig[]> {
    return this.store.listConfigs();
  }

  async get(id: string): Promise<JobConfig> {
    const config = await this.store.getConfig(id);
    if (!config) throw notFound(id);
    return config;
  }

  /** Checks a config without storing it; returns it with defaults filled in. */
  validate(input: unknown, actor = 'nobody'): JobConfig {
    const now = this.clock.now().toISOString();
    return validateJobConfig(input, this.registry, { version: 1, createdAt: now, updatedAt: now, createdBy: actor, updatedBy: actor });
  }

  async create(input: unknown, options: WriteOptions): Promise<JobConfig> {
    const write = this.prepareCreate(input, options);
    const config = write.config;
    const created = await this.store.insertConfig(write);
    if (!created) {
      throw new ConfigError(ConfigErrorCode.Exists, `job config '${config.meta.id}' already exists`, [
        { path: 'meta.id', message: `'${config.meta.id}' is taken` },
      ]);
    }
    this.events?.emit('config:changed', { configId: config.meta.id });
    return config;
  }

  /** What creating a config stores (validated, secrets sealed, every field the creator's); writes nothing. */
  prepareCreate(input: unknown, options: WriteOptions): ConfigWrite {
    const plain = this.validate(this.secrets.openCandidate(input), options.actor);
    const changes = redactChanges(diffConfigs(undefined, plain), [plain.payload.jobType], this.registry);
    const owners = planOwners({ before: undefined, after: configLeaves(plain), owners: {}, owner: this.ownerOf(plain, options) });
    return { config: this.secrets.seal(plain), changes, owners, ...this.extras(options) };
  }

  /**
   * What changing a config to `candidate` stores, or undefined when nothing changes (no
   * version, unless a restore); writes nothing. Secrets a change of origin drops are listed.
   */
  prepareChange(
    current: JobConfig,
    owners: FieldOwners,
    candidate: unknown,
    options: WriteOptions,
    restoredFrom?: number,
  ): { write: ConfigWrite | undefined; dropped: string[] } {
    const id = current.meta.id;
    const dropped = restoredFrom === undefined ? this.movedSecrets(current, candidate) : [];
    const kept = dropped.length === 0 ? candidate : mapSecretLeaves(candidate, dropped.map((path) => path.split('.')), () => undefined);
    const plain = this.validateChange(id, current, this.secrets.openCandidate(kept), options.actor);
    const before = this.secrets.open(current);
    const types = [before.payload.jobType, plain.payload.jobType];
    const changes = redactChanges(diffConfigs(before, plain), types, this.registry);
    // Nothing changed: no new version, unless an operator asked for a restore.
    if (changes.length === 0 && restoredFrom === undefined) return { write: undefined, dropped };
    const nextOwners = planOwners({
      before: configLeaves(before),
      after: configLeaves(plain),
      owners,
      owner: this.ownerOf(plain, options),
      ...(options.claimed ? { claimed: options.claimed } : {}),
      ...(options.released ? { released: options.released } : {}),
    });
    const write: ConfigWrite = { config: this.secrets.seal(plain), changes, owners: nextOwners, ...this.extras(options) };
    if (restoredFrom !== undefined) write.restoredFrom = restoredFrom;
    return { write, dropped };
  }

  /** Tells this process's listeners that a config changed (a write made elsewhere, e.g. an apply's one transaction). */
  announce(id: string): void {
    this.events?.emit('config:changed', { configId: id });
  }

  /**
   * The what-if of changing `current` to `candidate`, stored nowhere: the candidate goes through
   * the very preparation a save makes (prepareChange), so it is refused with the same
   * field-named ConfigErrors, and its write is dropped.
   */
  preview(current: JobConfig, candidate: unknown, now: Date, actor: string): ChangePreview {
    const { write } = this.prepareChange(current, {}, candidate, { actor });
    const after = write?.config ?? current;
    return { ...planSchedulePreview(scheduleShape(current), scheduleShape(after), now, { count: PREVIEW_RUNS }), changes: write?.changes ?? [] };
  }

  /** Who set each field of a config. */
  owners(id: string): Promise<FieldOwners> {
    return this.store.getConfigOwners(id);
  }

  private ownerOf(config: JobConfig, options: WriteOptions) {
    return { manager: options.manager ?? managerOfActor(options.actor), by: options.actor, at: config.meta.updatedAt, version: config.meta.version };
  }

  private extras(options: WriteOptions): Pick<ConfigWrite, 'applied' | 'message'> {
    return { ...(options.applied ? { applied: options.applied } : {}), ...(options.message ? { message: options.message } : {}) };
  }

  /**
   * Applies declared configs (in code, or from files): creates the missing, merges the declared
   * fields into the stored ones, and stores nothing when they are as declared (config-apply.ts).
   */
  apply(declarations: readonly unknown[], options: ApplyOptions): Promise<ApplyResult[]> {
    return applyConfigs({ configs: this, store: this.store, clock: this.clock, registry: this.registry }, declarations, options);
  }

  /** Replaces the whole config; omitted fields take their defaults again. */
  update(id: string, input: unknown, options: WriteOptions): Promise<JobConfig> {
    return this.write(id, options, () => input);
  }

  /** Applies a JSON Merge Patch (RFC 7396) to the current config, then validates the whole. */
  patch(id: string, patch: unknown, options: WriteOptions): Promise<JobConfig> {
    return this.write(id, options, (current) => applyMergePatch(current, patch));
  }

  setEnabled(id: string, isEnabled: boolean, options: WriteOptions): Promise<JobConfig> {
    return this.patch(id, { payload: { schedule: { isEnabled } } }, options);
  }

  async versions(id: string): Promise<ConfigVersionRecord[]> {
    await this.get(id);
    return this.store.listConfigVersions(id);
  }

  /** Stores an earlier version's config as a new version. */
  async restore(id: string, version: number, options: WriteOptions): Promise<JobConfig> {
    const record = await this.store.getConfigVersion(id, version);
    if (!record) {
      await this.get(id);
      throw new ConfigError(ConfigErrorCode.VersionNotFound, `job config '${id}' has no version ${version}`, [
        { path: 'version', message: `${version} does not exist` },
      ]);
    }
    return this.write(id, options, () => record.config, version);
  }

  /** Every config with its running count, schedule state and last execution (one round trip). */
  overviews(): Promise<ConfigOverview[]> {
    return this.store.listConfigOverviews();
  }

  async overview(id: string): Promise<ConfigOverview> {
    const [found] = await this.store.listConfigOverviews(id);
    if (!found) throw notFound(id);
    return found;
  }

  /**
   * Pauses a config: its schedule stays switched on, no slot of it runs until the pause ends
   * (at `until`, by the scheduler; or by resume). A second pause replaces the first. Slots
   * that fall in a pause are passed, not caught up (Scheduler #handlePaused).
   */
  async pause(id: string, input: { reason?: unknown; until?: unknown }, actor: string): Promise<ConfigOverview> {
    const now = this.clock.now();
    const plan = planPause(input, now);
    await this.get(id);
    await this.store.pauseSchedule(id, { at: now, until: plan.until, reason: plan.reason, by: actor });
    this.events?.emit('config:changed', { configId: id });
    return this.overview(id);
  }

  /**
   * Ends a config's pause at once; slots until now fell in it and are passed. A pause after
   * consecutive failures also switched the schedule off: resuming switches it on again (a new
   * version by `actor`). `resumed` false: the config was not paused, nothing changed.
   */
  async resume(id: string, actor: string): Promise<{ resumed: boolean; overview: ConfigOverview }> {
    const before = await this.overview(id);
    if (!before.pausedAt) return { resumed: false, overview: before };
    const now = this.clock.now();
    let resumed = true;
    if (before.config.payload.schedule.isEnabled) resumed = await this.store.endPause(id, now, null);
    else {
      // Switching the schedule on ends the pause in the same write (restartSchedule); the
      // failure streak starts again, or the next failure would pause it at once.
      await this.setEnabled(id, true, { actor });
      await this.store.markPaused(id, null, null, null);
    }
    if (resumed) {
      this.events?.emit('config:resumed', { configId: id, at: now, by: actor });
      this.events?.emit('config:changed', { configId: id });
    }
    return { resumed, overview: await this.overview(id) };
  }

  /**
   * Deletes a config with its history; refused while one of its executions runs, and (with
   * `expectedVersion`) when someone changed it meanwhile.
   */
  async delete(id: string, options: WriteOptions): Promise<void> {
    const { outcome, version } = await this.store.deleteConfig(id, options.expectedVersion);
    if (outcome === 'not-found') throw notFound(id);
    if (outcome === 'version-conflict') throw conflict(id, version ?? 0, options.expectedVersion ?? 0);
    if (outcome === 'running') {
      throw new ConfigError(ConfigErrorCode.VersionConflict, `job config '${id}' has a running execution: cancel it or wait, then delete`, [
        { path: 'meta.id', message: 'has a running execution' },
      ]);
    }
    this.events?.emit('config:changed', { configId: id });
  }

  private async write(
    id: string,
    options: WriteOptions,
    build: (current: JobConfig) => unknown,
    restoredFrom?: number,
  ): Promise<JobConfig> {
    // Without a pinned version the change applies to whatever is current: when another
    // writer gets in between our read and our write, read again and reapply (bounded).
    const attempts = options.expectedVersion === undefined ? UNPINNED_WRITE_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      const based = options.expectedVersion ?? current.meta.version;
      if (based !== current.meta.version) throw conflict(id, current.meta.version, based);

      const { write, dropped } = this.prepareChange(current, await this.store.getConfigOwners(id), build(current), options, restoredFrom);
      if (write === undefined) return current;
      if (await this.store.replaceConfig(write, current.meta.version)) {
        this.events?.emit('config:changed', { configId: id });
        if (dropped.length > 0) options.onSecretsDropped?.(dropped);
        return write.config;
      }
      if (attempt >= attempts) {
        const now = await this.get(id);
        throw conflict(id, now.meta.version, current.meta.version);
      }
    }
  }

  /**
   * The stored secrets a candidate keeps while it changes where they are sent: parameter
   * secrets when the request URL's origin changes, the webhook secret when the webhook URL's
   * does. Kept means carried over, not given by this write: sealed as stored, or, for a
   * config stored before secrets were sealed, the very value stored at the same path.
   */
  private movedSecrets(current: JobConfig, candidate: unknown): string[] {
    const stored = new Map<string, string>();
    mapSecretLeaves(current, secretPathsOf([current.payload.jobType], this.registry), (leaf, where) => {
      stored.set(where, leaf);
      return leaf;
    });
    const jobType = (candidate as { payload?: { jobType?: unknown } } | undefined)?.payload?.jobType;
    const urlMoved = originOf(section(current, 'parameters')['url']) !== originOf(section(candidate, 'parameters')['url']);
    const webhookMoved = originOf(section(current, 'notifications')['webhookUrl']) !== originOf(section(candidate, 'notifications')['webhookUrl']);
    const moved: string[] = [];
    mapSecretLeaves(candidate, secretPathsOf(typeof jobType === 'string' ? [jobType] : [], this.registry), (leaf, where) => {
      const isWebhook = where === 'payload.notifications.webhookSecret';
      if (stored.get(where) === leaf && (isWebhook ? webhookMoved : urlMoved)) moved.push(where);
      return leaf;
    });
    return moved;
  }

  private validateChange(id: string, current: JobConfig, candidate: unknown, actor: string): JobConfig {
    const candidateMeta = (candidate as { meta?: Record<string, unknown> } | undefined)?.meta;
    if (candidateMeta?.['id'] !== undefined && candidateMeta['id'] !== id) {
      throw invalidConfig([{ path: 'meta.id', message: `is immutable: '${String(candidateMeta['id'])}' cannot replace '${id}'` }]);
    }
    const withId = typeof candidate === 'object' && candidate !== null ? { ...candidate, meta: { ...candidateMeta, id } } : candidate;
    return validateJobConfig(withId, this.registry, {
      version: current.meta.version + 1,
      createdAt: current.meta.createdAt,
      createdBy: current.meta.createdBy,
      updatedAt: this.clock.now().toISOString(),
      updatedBy: actor,
    });
  }
}
