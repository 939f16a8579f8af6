import type { Command } from 'commander';
import type { GroveJobs } from '../app.js';
import { cliActor, type CliContext, withSystem } from './context.js';
import { nextRunAt } from './jobs.js';
import { formatFromNow, formatInZone, formatUtc, json } from './output.js';

/** A config's pause as `--json` prints it (the API's job view `paused` has the same fields). */
function pauseJson(overview: Awaited<ReturnType<GroveJobs['configs']['overview']>>) {
  const { config } = overview;
  return {
    id: config.meta.id,
    enabled: config.payload.schedule.isEnabled,
    paused: overview.pausedAt
      ? {
          at: overview.pausedAt.toISOString(),
          reason: overview.pausedReason,
          until: overview.pausedUntil?.toISOString() ?? null,
          by: overview.pausedBy,
        }
      : null,
  };
}

/**
 * `grove-jobs pause <config> --reason R [--until ISO]` and `grove-jobs resume <config>`. A
 * pause keeps the schedule switched on; slots that fall in it are passed, not caught up
 * afterwards (whatever the misfire policy), as a switched-off config's are.
 */
export function registerPause(program: Command, context: CliContext): void {
  const { io } = context;
  program
    .command('pause')
    .description('pause a job config: no slot runs until it is resumed or the pause ends (slots in the pause are not caught up)')
    .argument('<config>', 'config id')
    .requiredOption('--reason <text>', 'why it is paused (required, at most 500 characters); shown with who paused it')
    .option('--until <instant>', 'end the pause by itself at this ISO 8601 instant with a zone, e.g. 2026-03-01T06:00:00Z (must be in the future)')
    .option('--json', 'print { id, enabled, paused: { at, reason, until, by } }')
    .action((id: string, options: { reason: string; until?: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const overview = await system.configs.pause(id, { reason: options.reason, until: options.until }, cliActor(context.env));
        if (options.json) return io.out(json(pauseJson(overview)));
        const { timezone } = overview.config.payload.schedule;
        const end = overview.pausedUntil
          ? `until ${formatInZone(overview.pausedUntil, timezone)} (${timezone === 'UTC' ? '' : `${formatUtc(overview.pausedUntil)}, `}${formatFromNow(overview.pausedUntil, system.clock.now())})`
          : 'until resumed';
        io.out(`${id} is paused ${end} by ${overview.pausedBy ?? 'unknown'}: ${overview.pausedReason ?? ''}. Slots in the pause are not caught up.`);
      }),
    );

  program
    .command('resume')
    .description('end the pause of a job config at once (also a pause after consecutive failures, which switches its schedule on again)')
    .argument('<config>', 'config id')
    .option('--json', 'print { id, enabled, paused: null, resumed }')
    .action((id: string, options: { json?: boolean }) =>
      withSystem(context, async (system) => {
        const { resumed, overview } = await system.configs.resume(id, cliActor(context.env));
        if (options.json) return io.out(json({ ...pauseJson(overview), resumed }));
        if (!resumed) return io.out(`${id} was not paused; nothing changed.`);
        const now = system.clock.now();
        const next = nextRunAt(overview.config, now);
        const { timezone } = overview.config.payload.schedule;
        io.out(`${id} is resumed. Next run: ${next ? `${formatInZone(next, timezone)} (${formatFromNow(next, now)})` : 'no upcoming runs'}.`);
      }),
    );
}
