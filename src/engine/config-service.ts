import {
  applyMergePatch,
  ConfigError,
  ConfigErrorCode,
  diffConfigs,
  invalidConfig,
  type JobConfig,
  type JobTypeRegistry,
  validateJobConfig,
} from '../domain/config/index.js';
import type { EngineEvents } from './events.js';
import type { Clock, ConfigOverview, ConfigVersionRecord, Store } from './ports.js';

export interface WriteOptions {
  /** Who makes the change, recorded in the version history. */
  actor: string;
  /** The version the change is based on; a stale one is refused and changes nothing. */
  expectedVersion?: number;
}

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

/**
 * Job configs as operators change them: every change validated whole, stored as a new
 * version with who changed what, guarded by the version it was based on.
 */
export class ConfigService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly registry: JobTypeRegistry,
    private readonly events?: EngineEvents,
  ) {}

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
    const config = this.validate(input, options.actor);
    const created = await this.store.insertConfig({ config, changes: diffConfigs(undefined, config) });
    if (!created) {
      throw new ConfigError(ConfigErrorCode.Exists, `job config '${config.meta.id}' already exists`, [
        { path: 'meta.id', message: `'${config.meta.id}' is taken` },
      ]);
    }
    this.events?.emit('config:changed', { configId: config.meta.id });
    return config;
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

      const next = this.validateChange(id, current, build(current), options.actor);
      const changes = diffConfigs(current, next);
      // Nothing changed: no new version, unless an operator asked for a restore.
      if (changes.length === 0 && restoredFrom === undefined) return current;

      const write = restoredFrom === undefined ? { config: next, changes } : { config: next, changes, restoredFrom };
      if (await this.store.replaceConfig(write, current.meta.version)) {
        this.events?.emit('config:changed', { configId: id });
        return next;
      }
      if (attempt >= attempts) {
        const now = await this.get(id);
        throw conflict(id, now.meta.version, current.meta.version);
      }
    }
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
