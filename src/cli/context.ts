import { userInfo } from 'node:os';
import { openGroveJobs, type OpenedGroveJobs, type StoreEnv } from '../open.js';

/** Where a command writes; tests pass collectors. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

export interface CliContext {
  io: CliIo;
  env: StoreEnv & Record<string, string | undefined>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM), for long-running commands. */
  stopped: Promise<void>;
}

/** Who the version history records for CLI changes. */
export function cliActor(env: Record<string, string | undefined>): string {
  if (env['GROVE_JOBS_ACTOR']) return env['GROVE_JOBS_ACTOR'];
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Opens the system for one command and always closes it. A short command does not follow the
 * embedded store's owner: if the owner goes away meanwhile, it fails with one line saying so.
 */
export async function withSystem<T>(context: CliContext, work: (system: OpenedGroveJobs) => Promise<T>): Promise<T> {
  const system = await openGroveJobs({ env: context.env, followOwner: false });
  try {
    return await work(system);
  } finally {
    await system.close();
  }
}
