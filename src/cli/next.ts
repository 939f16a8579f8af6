import type { Command } from 'commander';
import { describeSchedule, nextSlots, parseSchedule } from '../domain/schedule/index.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { formatInZone, formatUtc, json, table } from './output.js';

const MAX_COUNT = 1000;

export function parseCount(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > MAX_COUNT) {
    throw new UsageError('--count', `'${text}' must be a whole number from 1 to ${MAX_COUNT}`);
  }
  return count;
}

export function parseInstant(field: string, text: string | undefined, fallback: () => Date): Date {
  if (text === undefined) return fallback();
  const instant = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(instant.getTime())) {
    throw new UsageError(field, `'${text}' is not an ISO 8601 instant such as 2026-11-01T05:00:00Z`);
  }
  return instant;
}

/** `grove-jobs next "<cron>" [--tz Zone] [--from ISO] [--count N]`: slots without a store. */
export function registerNext(program: Command, context: CliContext): void {
  program
    .command('next')
    .description('show the next slots of a cron expression in a time zone, with its plain-language reading')
    .argument('<cron>', 'cron expression, quoted, e.g. "0 3 * * *"')
    .option('--tz <zone>', 'IANA time zone the wall-clock times are read in', 'UTC')
    .option('--from <iso>', 'list slots strictly after this instant (default: now)')
    .option('--count <n>', 'how many slots (1-1000)', '5')
    .option('--json', 'print one JSON document: { description, nextRuns }')
    .action((cron: string, options: { tz: string; from?: string; count: string; json?: boolean }) => {
      const count = parseCount(options.count, 5);
      const from = parseInstant('--from', options.from, () => new Date());
      parseSchedule(cron, options.tz);
      const description = describeSchedule(cron, options.tz);
      const slots = nextSlots(cron, options.tz, from, count);
      if (options.json) {
        context.io.out(json({ description, timezone: options.tz, nextRuns: slots.map((slot) => slot.toISOString()) }));
        return;
      }
      context.io.out(description);
      if (slots.length === 0) {
        context.io.out(`No upcoming runs: every matching wall-clock time falls in a daylight-saving gap in ${options.tz}.`);
        return;
      }
      const zoneHeader = options.tz === 'UTC' ? 'LOCAL' : options.tz;
      context.io.out(table(['#', 'UTC', zoneHeader], slots.map((slot, i) => [String(i + 1), formatUtc(slot), formatInZone(slot, options.tz)])));
    });
}
