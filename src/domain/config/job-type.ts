import type { z } from 'zod';
import type { JobConfig, JobConfigSections, LimitsConfig, NotificationsConfig, RetryConfig, ScheduleConfig } from './schema.js';

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

/**
 * A job type's defaults for omitted config sections and fields. `schedule.isEnabled` is not one
 * of them: a new config is switched off until an operator switches it on, whatever its type.
 */
export type JobTypeDefaults = Omit<Partial<JobConfigSections>, 'schedule'> & { schedule?: Omit<Partial<ScheduleConfig>, 'isEnabled'> };

/**
 * What a type calls its item counters where runs are shown, e.g. advancement-batch's succeeded
 * items are "Advanced"; a counter left out keeps its plain name (Processed, Succeeded, Failed).
 */
export interface CounterLabels {
  processed?: string;
  succeeded?: string;
  failed?: string;
}

/**
 * A job type: `P` the parameters its handler receives, `N` its name and `I` the parameters a
 * config may state (the schema's input: fields with defaults optional), both as literal as
 * defineJobType saw them, so that configs declared in code are typed per type.
 */
export interface JobTypeDefinition<P = unknown, N extends string = string, I = unknown> {
  /** Kebab-case name, e.g. `advancement-batch`. */
  name: N;
  description: string;
  /** The type's own parameter schema; its defaults fill omitted parameters. */
  parameters: z.ZodType<P, I>;
  /** Values for omitted config sections and fields (schedule, retry, limits, …). */
  defaults?: JobTypeDefaults;
  /** Parameter names holding secrets: write-only, redacted wherever a config is shown. */
  secretParameters?: readonly string[];
  /**
   * A run that is not a dry run changes records operators own (tiers, archived rows): the
   * console asks for a confirmation before such a run.
   */
  changesData?: boolean;
  /** The handler works in pages of `context.batchSize`: a manual run may set another size. */
  usesBatchSize?: boolean;
  counterLabels?: CounterLabels;
  execute(context: JobContext<P>): Promise<JobOutcome | void>;
}

/** The registry entry type, with the parameter type erased. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobType = JobTypeDefinition<any>;

/** Declares a job type; the parameter type is inferred from the zod schema. */
export function defineJobType<const N extends string, S extends z.ZodType>(definition: {
  name: N;
  description: string;
  parameters: S;
  defaults?: JobTypeDefaults;
  secretParameters?: readonly string[];
  changesData?: boolean;
  usesBatchSize?: boolean;
  counterLabels?: CounterLabels;
  execute(context: JobContext<z.output<S>>): Promise<JobOutcome | void>;
}): JobTypeDefinition<z.output<S>, N, z.input<S>> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(definition.name)) {
    throw new Error(`job type name '${definition.name}' must be kebab-case`);
  }
  checkDefaults(definition.name, definition.defaults);
  return definition as unknown as JobTypeDefinition<z.output<S>, N, z.input<S>>;
}

/** Refuses a type (typed loosely, or built without defineJobType) whose defaults would switch new configs on. */
function checkDefaults(name: string, defaults: JobTypeDefaults | undefined): void {
  if (defaults?.schedule !== undefined && 'isEnabled' in defaults.schedule) {
    throw new Error(`job type '${name}' must not default schedule.isEnabled: a new config is created switched off`);
  }
}

/** The set of job types a system knows. Operators configure types; they cannot invent them. */
export class JobTypeRegistry {
  readonly #types = new Map<string, AnyJobType>();

  constructor(types: readonly AnyJobType[] = []) {
    for (const type of types) this.register(type);
  }

  register(type: AnyJobType): this {
    if (this.#types.has(type.name)) throw new Error(`job type '${type.name}' is registered twice`);
    checkDefaults(type.name, type.defaults);
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

/** The parameters a config of a type with input `I` may state: optional when every field has a default. */
type StatedParameters<I> = object extends I ? { parameters?: I } : { parameters: I };

/**
 * A config declared in code for job type `T`, typed by it: `payload.jobType` is the type's
 * name and `parameters` its schema's input, so that a misspelled field or a wrong value fails
 * type-checking. Only `meta.id` is required besides; the rest takes the type's defaults.
 */
export type JobConfigInputFor<T> = T extends JobTypeDefinition<infer _P, infer N, infer I>
  ? {
      meta: { id: string; title?: string; description?: string };
      payload: {
        jobType: N;
        displayName?: string;
        schedule?: Partial<ScheduleConfig>;
        retry?: Partial<RetryConfig>;
        limits?: Partial<LimitsConfig>;
        notifications?: Partial<NotificationsConfig>;
      } & StatedParameters<I>;
    }
  : never;
