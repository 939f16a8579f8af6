import { z } from 'zod';
import { allowedEnvText, COMMANDS_OFF_MESSAGE, ENV_NAME, refusedEnvNames, resolveExecutable, resolveWorkingDir, type CheckedCommandPolicy } from './policy.js';

/** Bounds of what a config states: a command line, not a script. */
const PATH_MAX = 4096;
const ARGS_MAX = 256;
const ARG_MAX_LENGTH = 32_768;
const ENV_MAX = 64;
const ENV_VALUE_MAX_LENGTH = 32_768;

// NUL cannot be passed in an argument, a path or a variable: spawn would throw on it.
const shape = {
  /** A path inside the allowed folder (absolute, or relative to it); symbolic links and `..` are resolved before it is checked. */
  executable: z
    .string()
    .min(1, 'must name an executable file')
    .max(PATH_MAX)
    .refine((text) => !text.includes('\0'), 'must not contain a NUL character'),
  /** Passed as they are, without a shell: `$(…)`, `*` and quotes mean nothing. */
  args: z
    .array(z.string().max(ARG_MAX_LENGTH).refine((text) => !text.includes('\0'), 'must not contain a NUL character'))
    .max(ARGS_MAX, `must have at most ${ARGS_MAX} arguments`)
    .default([]),
  /**
   * The only variables the command gets, besides PATH, HOME and LANG (taken from the server's
   * own environment unless set here); each name must be allowed by the server. Shown wherever
   * the config is shown: credentials go in `secretEnv`.
   */
  env: z
    .record(z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits and _, not starting with a digit)'), z.string().max(ENV_VALUE_MAX_LENGTH).refine((text) => !text.includes('\0'), 'must not contain a NUL character'))
    .refine((env) => Object.keys(env).length <= ENV_MAX, `must set at most ${ENV_MAX} variables`)
    .default({}),
  /** Like `env`, but write-only (listed in `secretParameters`) and masked in the output: for tokens and passwords. */
  secretEnv: z
    .record(z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits and _, not starting with a digit)'), z.string().max(ENV_VALUE_MAX_LENGTH).refine((text) => !text.includes('\0'), 'must not contain a NUL character'))
    .refine((env) => Object.keys(env).length <= ENV_MAX, `must set at most ${ENV_MAX} variables`)
    .default({}),
  /** The working folder, inside the allowed folder (default: that folder). */
  cwd: z
    .string()
    .min(1)
    .max(PATH_MAX)
    .refine((text) => !text.includes('\0'), 'must not contain a NUL character')
    .optional(),
};

/**
 * The parameters of a command config, checked against this process's policy when a config is
 * written: with `--allow-commands`, the executable and working folder must be in the allowed
 * folder and every variable allowed; without it, every config is refused with one message
 * naming the flag, whatever else it states (so its fields are all optional then: the console's
 * form leads straight to that message instead of asking for fields first). The handler checks
 * again when it runs: the files, and the worker's policy, may differ.
 */
export function commandParameters(policy: CheckedCommandPolicy | undefined) {
  const allowed = z.strictObject(shape).superRefine((parameters, ctx) => {
    if (!policy) return;
    const executable = resolveExecutable(policy, parameters.executable);
    if ('refusal' in executable) ctx.addIssue({ code: 'custom', path: ['executable'], message: executable.refusal });
    const cwd = resolveWorkingDir(policy, parameters.cwd);
    if ('refusal' in cwd) ctx.addIssue({ code: 'custom', path: ['cwd'], message: cwd.refusal });
    for (const section of ['env', 'secretEnv'] as const) {
      for (const name of refusedEnvNames(policy, Object.keys(parameters[section]))) {
        ctx.addIssue({ code: 'custom', path: [section, name], message: `is not an environment variable this server lets commands set (${allowedEnvText(policy)})` });
      }
    }
    for (const name of Object.keys(parameters.secretEnv)) {
      if (name in parameters.env) ctx.addIssue({ code: 'custom', path: ['secretEnv', name], message: "is set in 'env' too" });
    }
  });
  if (policy) return allowed;
  const off = z
    .strictObject(shape)
    .partial()
    .superRefine((_parameters, ctx) => ctx.addIssue({ code: 'custom', path: ['executable'], message: COMMANDS_OFF_MESSAGE }), { when: () => true });
  // Never parses, so its output type is the allowed schema's.
  return off as unknown as typeof allowed;
}

export type CommandParameters = z.output<ReturnType<typeof commandParameters>>;
