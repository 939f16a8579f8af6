import { defineJobType } from '../../domain/config/job-type.js';
import { executeCommand } from './handler.js';
import { commandParameters } from './parameters.js';
import { checkCommandPolicy, type CommandPolicy } from './policy.js';

export { commandEnv, executeCommand, groupAlive, stopGroup } from './handler.js';
export { LINE_MAX_CHARACTERS, OUTPUT_MAX_BYTES, OUTPUT_MAX_LINES, OutputLines } from './output.js';
export { commandParameters, type CommandParameters } from './parameters.js';
export {
  ALLOW_COMMAND_ENV_ENV,
  ALLOW_COMMAND_ENV_FLAG,
  ALLOW_COMMANDS_ENV,
  ALLOW_COMMANDS_FLAG,
  ALWAYS_PASSED_ENV,
  checkCommandPolicy,
  COMMANDS_OFF_MESSAGE,
  DEFAULT_KILL_GRACE_MS,
  parseEnvNames,
  type CheckedCommandPolicy,
  type CommandPolicy,
} from './policy.js';

/**
 * Runs a program from a folder the operator allowed, on a schedule: the crontab lines that ran
 * scripts, with a history, a timeout that stops the whole process group, and the output in the
 * execution's log. Registered in every process, so that configs stay readable and the console
 * shows the type; without `policy` (no `--allow-commands`) every config is refused, when
 * written and when run, with a message naming the flag.
 */
export function commandJobType(policy?: CommandPolicy) {
  const checked = policy === undefined ? undefined : checkCommandPolicy(policy);
  return defineJobType({
    name: 'command',
    description:
      'Runs an executable from the folder the server allows (--allow-commands DIR; off without it) with the given arguments, without a shell, ' +
      'in its own process group. The program gets only PATH, HOME, LANG and the variables set in env and secretEnv (names the server allows with ' +
      '--allow-command-env). Standard output and error go to the execution log line by line (the first 1000 lines / 1 MiB). Exit code 0 is ' +
      'success. A timeout or cancel sends SIGTERM to the group, then SIGKILL after a grace. A dry run only logs what would run.',
    parameters: commandParameters(checked),
    // No cronExpression default: when to run a program is the operator's decision.
    secretParameters: ['secretEnv'],
    changesData: true,
    counterLabels: { processed: 'Runs', succeeded: 'Exited 0' },
    execute: (context) => executeCommand(checked, context),
  });
}
