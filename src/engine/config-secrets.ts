import {
  configSecretPaths,
  ConfigError,
  ConfigErrorCode,
  isSealed,
  type JobConfig,
  type JobTypeRegistry,
  mapSecretLeaves,
  SecretMasker,
  secretPathsOf,
  secretValues,
} from '../domain/config/index.js';

/**
 * Encrypts and decrypts single secret values (the store's AES-256-GCM box). `open` throws
 * when a value cannot be decrypted (wrong key, altered data), never returns garbage.
 */
export interface SecretSealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

/** A config as a handler runs it (secrets decrypted) and the masker for what the run produces. */
export interface RunSecrets {
  config: JobConfig;
  masker: SecretMasker;
}

/** Opened snapshots kept: one per config version a busy worker runs (as the store's snapshot cache). */
const MAX_OPENED = 256;

/**
 * Secret values of configs, sealed at rest: sealed before a config is stored, opened only
 * where the plain value is needed (a handler about to run, a write that keeps a stored
 * secret and validates the whole config). Without a sealer (systems built in tests without
 * a key), values are stored as they are.
 */
export class ConfigSecrets {
  readonly #opened = new WeakMap<JobConfig, RunSecrets>();
  readonly #openedByVersion = new Map<string, RunSecrets>();

  constructor(
    private readonly registry: JobTypeRegistry,
    private readonly sealer?: SecretSealer,
  ) {}

  /** Whether values are sealed at rest. */
  get sealing(): boolean {
    return this.sealer !== undefined;
  }

  /** The config with every plain secret at its type's paths sealed (sealed ones stay as they are). */
  seal(config: JobConfig): JobConfig {
    const { sealer } = this;
    if (!sealer) return config;
    return mapSecretLeaves(config, configSecretPaths(config, this.registry), (leaf) => (isSealed(leaf) ? leaf : sealer.seal(leaf)));
  }

  /**
   * A stored config with every sealed value at the secret paths of its type decrypted; a
   * value that does not decrypt (wrong key, altered data) throws the sealer's error.
   */
  open(config: JobConfig): JobConfig {
    return this.#open(config, (error) => error);
  }

  /**
   * A config as written (not validated yet) with the sealed values it carries at its
   * type's secret paths decrypted (a write keeping a stored secret). A value that does not
   * decrypt is refused as invalid input, naming the field only.
   */
  openCandidate(candidate: unknown): unknown {
    return this.#open(candidate, (error, where) => new ConfigError(ConfigErrorCode.Invalid, `${where}: ${error.message}`, [{ path: where, message: 'cannot be decrypted' }]));
  }

  #open<T>(config: T, refuse: (error: Error, where: string) => Error): T {
    const jobType = (config as { payload?: { jobType?: unknown } } | undefined)?.payload?.jobType;
    const paths = secretPathsOf(typeof jobType === 'string' ? [jobType] : [], this.registry);
    return mapSecretLeaves(config, paths, (leaf, where) => {
      if (!isSealed(leaf)) return leaf;
      if (!this.sealer) throw refuse(new Error('the value is encrypted, but this system was built without a secret key'), where);
      try {
        return this.sealer.open(leaf);
      } catch (error) {
        throw refuse(error as Error, where);
      }
    });
  }

  /** The paths (dotted) of the sealed values `candidate` holds at its type's secret paths: the ones a write keeps. */
  keptSecrets(candidate: unknown): Set<string> {
    const jobType = (candidate as { payload?: { jobType?: unknown } } | undefined)?.payload?.jobType;
    const kept = new Set<string>();
    mapSecretLeaves(candidate, secretPathsOf(typeof jobType === 'string' ? [jobType] : [], this.registry), (leaf, where) => {
      if (isSealed(leaf)) kept.add(where);
      return leaf;
    });
    return kept;
  }

  /**
   * The config a handler runs with, and the masker for its logs, progress, results and
   * errors: decrypted once per config version (snapshots are shared objects per version,
   * and keyed by id, version and save instant otherwise), never per execution.
   */
  forRun(config: JobConfig): RunSecrets {
    const held = this.#opened.get(config);
    if (held) return held;
    const key = `${config.meta.id}@${config.meta.version}@${config.meta.updatedAt}`;
    let secrets = this.#openedByVersion.get(key);
    if (!secrets) {
      const opened = this.open(config);
      const values = secretValues(opened, configSecretPaths(opened, this.registry));
      secrets = { config: opened, masker: values.length === 0 ? SecretMasker.none : new SecretMasker(values) };
      this.#openedByVersion.set(key, secrets);
      if (this.#openedByVersion.size > MAX_OPENED) this.#openedByVersion.delete(this.#openedByVersion.keys().next().value as string);
    }
    this.#opened.set(config, secrets);
    return secrets;
  }
}
