import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** The flag (and environment variable) that switches command jobs on, named wherever they are refused. */
export const ALLOW_COMMANDS_FLAG = '--allow-commands';
export const ALLOW_COMMANDS_ENV = 'GROVE_JOBS_ALLOW_COMMANDS';
export const ALLOW_COMMAND_ENV_FLAG = '--allow-command-env';
export const ALLOW_COMMAND_ENV_ENV = 'GROVE_JOBS_ALLOW_COMMAND_ENV';

/** Variables a command always gets from the server's environment (a config may set them too); nothing else is inherited. */
export const ALWAYS_PASSED_ENV = ['PATH', 'HOME', 'LANG'] as const;

/** Environment variable names: a letter or underscore, then letters, digits, underscores. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What the operator allowed when starting the process: `--allow-commands DIR`, `--allow-command-env NAME,NAME`. */
export interface CommandPolicy {
  /** The folder executables and working folders must be in, after symbolic links are resolved (realpath). */
  allowDir: string;
  /** Variable names a config may set, besides PATH, HOME and LANG. */
  allowEnv: readonly string[];
  /** Milliseconds between SIGTERM and SIGKILL when a run is stopped (default 5 s). */
  killGraceMs?: number;
}

/** A policy checked once: its folder exists and is resolved, its names are valid. */
export interface CheckedCommandPolicy {
  allowDir: string;
  allowEnv: ReadonlySet<string>;
  killGraceMs: number;
}

export const DEFAULT_KILL_GRACE_MS = 5_000;

export const COMMANDS_OFF_MESSAGE =
  `command jobs are off in this process: start it with ${ALLOW_COMMANDS_FLAG} DIR (or set ${ALLOW_COMMANDS_ENV}=DIR), ` +
  'DIR being the folder whose executables jobs may run';

/**
 * Checks the operator's policy when the process starts: a folder that does not exist or a
 * malformed variable name is a start-up error, never a silent refusal of every config later.
 */
export function checkCommandPolicy(policy: CommandPolicy): CheckedCommandPolicy {
  let allowDir: string;
  try {
    allowDir = realpathSync(resolve(policy.allowDir));
  } catch {
    throw new Error(`${ALLOW_COMMANDS_FLAG}: '${policy.allowDir}' does not exist`);
  }
  if (!statSync(allowDir).isDirectory()) throw new Error(`${ALLOW_COMMANDS_FLAG}: '${policy.allowDir}' is not a folder`);
  for (const name of policy.allowEnv) {
    if (!ENV_NAME.test(name)) throw new Error(`${ALLOW_COMMAND_ENV_FLAG}: '${name}' is not an environment variable name (letters, digits and _, not starting with a digit)`);
  }
  return { allowDir, allowEnv: new Set([...ALWAYS_PASSED_ENV, ...policy.allowEnv]), killGraceMs: policy.killGraceMs ?? DEFAULT_KILL_GRACE_MS };
}

/** The comma-separated list of `--allow-command-env` as names (blanks dropped). */
export function parseEnvNames(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** Whether `path` (resolved) is `dir` or inside it. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** A path given relative to the allowed folder, or absolute, resolved with its symbolic links; undefined when it does not exist. */
function realPath(policy: CheckedCommandPolicy, path: string): string | undefined {
  try {
    return realpathSync(resolve(policy.allowDir, path));
  } catch {
    return undefined;
  }
}

/**
 * The executable as it will run: after `..` and symbolic links are resolved, a regular file
 * inside the allowed folder that this process may execute. Returns the refusal otherwise.
 */
export function resolveExecutable(policy: CheckedCommandPolicy, executable: string): { path: string } | { refusal: string } {
  const path = realPath(policy, executable);
  if (path === undefined) return { refusal: `'${executable}' does not exist in ${policy.allowDir}` };
  if (!inside(policy.allowDir, path)) return { refusal: `'${executable}' resolves to ${path}, outside the allowed folder ${policy.allowDir}` };
  if (!statSync(path).isFile()) return { refusal: `'${executable}' is not a regular file` };
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { refusal: `'${executable}' is not executable (chmod +x)` };
  }
  return { path };
}

/** The working folder: inside the allowed folder (default: that folder itself). */
export function resolveWorkingDir(policy: CheckedCommandPolicy, cwd: string | undefined): { path: string } | { refusal: string } {
  if (cwd === undefined) return { path: policy.allowDir };
  const path = realPath(policy, cwd);
  if (path === undefined) return { refusal: `'${cwd}' does not exist in ${policy.allowDir}` };
  if (!inside(policy.allowDir, path)) return { refusal: `'${cwd}' resolves to ${path}, outside the allowed folder ${policy.allowDir}` };
  if (!statSync(path).isDirectory()) return { refusal: `'${cwd}' is not a folder` };
  return { path };
}

/** Names a config sets that the operator did not allow. */
export function refusedEnvNames(policy: CheckedCommandPolicy, names: Iterable<string>): string[] {
  return [...names].filter((name) => !policy.allowEnv.has(name));
}

export function allowedEnvText(policy: CheckedCommandPolicy): string {
  return `allowed: ${[...policy.allowEnv].join(', ')}; more with ${ALLOW_COMMAND_ENV_FLAG} NAME,NAME (or ${ALLOW_COMMAND_ENV_ENV})`;
}
