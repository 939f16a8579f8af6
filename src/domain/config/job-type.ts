import type { z } from 'zod';
import type { JobConfig, JobConfigSections } from './schema.js';

/** One log line written by a handler. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Item counters a handler reports while it runs. */
export interface JobProgress {
  total?: number;
  processed?: number;
  succeeded?: number;
  failed?: number;
}

/** What a handler receives for one execution. */
export interface JobContext<P> {
  executionId: string;
  /** The config version this execution started with; later edits do not affect it. */
  config: JobConfig;
  parameters: P;
  /** The slot instant for scheduled runs; undefined for manual runs. */
  slot: Date | undefined;
  attempt: number;
  /** `limits.batchSize`, or the per-run override. */
  batchSize: number;
  /** The per-run override, or the `dryRun` parameter when the type has one, else false. */
  dryRun: boolean;
  /** Fires at `limits.timeoutSeconds`, on cancel and on shutdown. */
  signal: AbortSignal;
  /** The engine's clock: handlers read time here, never from the system. */
  now(): Date;
  log(level: LogLevel, message: string, data?: Record<string, unknown>): void;
  progress(progress: JobProgress): void;
}

/** A handler's summary; `failed` items > 0 with some succeeded makes the run `partial`. */
export interface JobOutcome {
  summary?: string;
  result?: Record<string, unknown>;
  items?: JobProgress;
}

export interface JobTypeDefinition<P = unknown> {
  /** Kebab-case name, e.g. `advancement-batch`. */
  name: string;
  description: string;
  /** The type's own parameter schema; its defaults fill omitted parameters. */
  parameters: z.ZodType<P>;
  /** Values for omitted config sections and fields (schedule, retry, limits, …). */
  defaults?: Partial<JobConfigSections>;
  /** Parameter names holding secrets: write-only, redacted wherever a config is shown. */
  secretParameters?: readonly string[];
  execute(context: JobContext<P>): Promise<JobOutcome | void>;
}

/** The registry entry type, with the parameter type erased. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobType = JobTypeDefinition<any>;

/** Declares a job type; the parameter type is inferred from the zod schema. */
export function defineJobType<S extends z.ZodType>(definition: {
  name: string;
  description: string;
  parameters: S;
  defaults?: Partial<JobConfigSections>;
  secretParameters?: readonly string[];
  execute(context: JobContext<z.output<S>>): Promise<JobOutcome | void>;
}): JobTypeDefinition<z.output<S>> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(definition.name)) {
    throw new Error(`job type name '${definition.name}' must be kebab-case`);
  }
  return definition as unknown as JobTypeDefinition<z.output<S>>;
}

/** The set of job types a system knows. Operators configure types; they cannot invent them. */
export class JobTypeRegistry {
  readonly #types = new Map<string, AnyJobType>();

  constructor(types: readonly AnyJobType[] = []) {
    for (const type of types) this.register(type);
  }

  register(type: AnyJobType): this {
    if (this.#types.has(type.name)) throw new Error(`job type '${type.name}' is registered twice`);
    this.#types.set(type.name, type);
    return this;
  }

  get(name: string): AnyJobType | undefined {
    return this.#types.get(name);
  }

  names(): string[] {
    return [...this.#types.keys()].sort();
  }

  list(): AnyJobType[] {
    return this.names().map((name) => this.#types.get(name) as AnyJobType);
  }
}
