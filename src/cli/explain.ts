import type { Command } from 'commander';
import type { GroveJobs } from '../app.js';
import { cliActor, type CliContext, withSystem } from './context.js';
import { UsageError } from './errors.js';
import { formatInZone, formatUtc, json, table } from './output.js';

type Ledger = Awaited<ReturnType<GroveJobs['slots']['ledger']>>;
type LedgerSlot = Ledger['slots'][number];

const OVERLAPS = ['skip', 'queue', 'all'] as const;

function overlapOption(value: string): (typeof OVERLAPS)[number] {
  if (!(OVERLAPS as readonly string[]).includes(value)) throw new UsageError('--overlap', `'${value}' must be one of ${OVERLAPS.join(', ')}`);
  return value as (typeof OVERLAPS)[number];
}

/** "success, 4.1 s" of a slot's execution, with its short id. */
function executionCell(slot: LedgerSlot): string {
  const e = slot.execution;
  if (!e) return slot.missed?.recordId ? `${slot.missed.recordId.slice(0, 8)}…` : '';
  return `${e.id.slice(0, 8)}… ${e.status}${e.attempts > 1 ? ` (${e.attempts} attempts)` : ''}`;
}

/** The slot's fate in a word or two, with what moved it (daylight saving) and why it did not run. */
function detailCell(slot: LedgerSlot): string {
  const notes: string[] = [];
  if (slot.dst) notes.push(`daylight saving: ${slot.dst.wallClock.slice(0, 5)} ${slot.dst.rule}${slot.dst.occurrence ? ` (${slot.dst.occurrence})` : ''}`);
  if (slot.pause) notes.push(`paused by ${slot.pause.by ?? 'someone'}${slot.pause.reason ? `: ${slot.pause.reason}` : ''}`);
  if (slot.switchedOff) notes.push(`switched off in version ${slot.switchedOff.version} by ${slot.switchedOff.by}`);
  if (slot.missed) notes.push(`misfire policy ${slot.missed.misfirePolicy}`);
  if (slot.overlap && slot.overlap.active.length > 0) notes.push(`running: ${slot.overlap.active.map((id) => `${id.slice(0, 8)}…`).join(', ')}`);
  if (slot.execution?.lagMs != null && slot.execution.lagMs > 1000) notes.push(`started ${Math.round(slot.execution.lagMs / 1000)} s after the slot`);
  return notes.join('; ');
}

function printLedger(io: CliContext['io'], ledger: Ledger): void {
  const zone = ledger.slots[ledger.slots.length - 1]?.timezone ?? 'UTC';
  io.out(`Slots of ${ledger.configId} from ${formatInZone(new Date(ledger.from), zone)} to ${formatInZone(new Date(ledger.until), zone)} (${ledger.slots.length.toLocaleString('en-US')}${ledger.truncated ? ', more not listed' : ''}):`);
  if (ledger.slots.length === 0) io.out('  (no slots in this range)');
  else {
    io.out(
      table(
        ['SLOT', 'UTC', 'FATE', 'EXECUTION', 'DETAIL'],
        ledger.slots.map((s) => [formatInZone(new Date(s.at), s.timezone), formatUtc(new Date(s.at)), s.fate, executionCell(s), detailCell(s)]),
      ),
    );
  }
  if (ledger.truncated) io.out(`More slots follow ${formatUtc(new Date(ledger.until))}: ask for a later --from to see them.`);
  for (const d of ledger.dst) io.out(`Daylight saving, ${d.date} ${d.wallClock.slice(0, 5)} ${d.timezone}: ${d.explanation}.`);
  if (ledger.manual.length > 0) {
    io.out('Manual runs in this range:');
    io.out(table(['QUEUED', 'EXECUTION', 'TRIGGER', 'STATUS', 'BY'], ledger.manual.map((m) => [formatInZone(new Date(m.at), zone), m.id, m.trigger, m.status, m.requestedBy ?? ''])));
  }
}

/**
 * `grove-jobs explain <config> [--at ISO | --from ISO --until ISO]`: the slot ledger as a
 * table, or one instant in words; and `grove-jobs backfill <config> --from --until`.
 */
export function registerExplain(program: Command, context: CliContext): void {
  const { io } = context;
  program
    .command('explain')
    .description('why a job ran or did not: every slot of a range and its fate, or one instant in words (--at)')
    .argument('<config>', 'config id')
    .option('--at <time>', "one instant: ISO 8601 with a zone (2026-03-08T07:00:00Z), or a wall-clock time in the job's zone (2026-03-08T02:30)")
    .option('--from <instant>', 'start of the range, ISO 8601 with a zone (default: a day before --until, or before now)')
    .option('--until <instant>', 'end of the range, ISO 8601 with a zone (default: a day after --from, or after now)')
    .option('--json', 'print the ledger (or, with --at, { sentence, slots }) as JSON')
    .action((id: string, options: { at?: string; from?: string; until?: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        if (options.at !== undefined && (options.from !== undefined || options.until !== undefined)) {
          throw new UsageError('--at', 'explains one instant: give it alone, or --from and --until for a range');
        }
        if (options.at !== undefined) {
          const explained = await system.slots.explain(id, options.at);
          if (options.json) return io.out(json(explained));
          return io.out(explained.sentence);
        }
        const ledger = await system.slots.ledger(id, { from: options.from, until: options.until });
        if (options.json) return io.out(json(ledger));
        printLedger(io, ledger);
      }),
    );

  program
    .command('backfill')
    .description('run the past slots of a range that did not run (missed, paused, switched off); running it twice adds nothing')
    .argument('<config>', 'config id')
    .requiredOption('--from <instant>', 'first instant of the range, ISO 8601 with a zone')
    .requiredOption('--until <instant>', 'last instant of the range, ISO 8601 with a zone (not in the future)')
    .option(
      '--overlap <mode>',
      'queue: every open slot gets a run, in slot order as maxConcurrent allows; skip: only as many as the job has room for now (run it again later for the rest); all: as queue, and slots the schedule skipped for overlap too',
      'queue',
    )
    .option('--dry-run', 'list the slots it would run; change nothing')
    .option('--json', 'print { slots: [{ at, fate, outcome, executionId }], passed, … }')
    .action((id: string, options: { from: string; until: string; overlap: string; dryRun?: boolean; json?: boolean }) =>
      withSystem(context, async (system) => {
        const overlap = overlapOption(options.overlap);
        const result = await system.slots.backfill(id, { from: options.from, until: options.until, overlap, dryRun: options.dryRun === true }, cliActor(context.env));
        if (options.json) return io.out(json(result));
        const zone = (await system.configs.get(id)).payload.schedule.timezone;
        if (result.slots.length > 0) {
          io.out(table(['SLOT', 'UTC', 'WAS', 'BACKFILL', 'EXECUTION'], result.slots.map((s) => [formatInZone(new Date(s.at), zone), formatUtc(new Date(s.at)), s.fate, s.outcome, s.executionId ?? ''])));
        }
        const count = (outcome: string) => result.slots.filter((s) => s.outcome === outcome).length;
        const passed = Object.entries(result.passed).map(([fate, n]) => `${n} ${fate}`).join(', ');
        const left = passed ? ` Left alone: ${passed}.` : '';
        if (result.slots.length === 0) return io.out(`Nothing to backfill for ${id}: no slot of the range is open (missed, paused, switched off or passed unclaimed).${left}`);
        if (result.dryRun) return io.out(`Would queue ${count('would-queue')} backfill run(s) of ${id}; nothing changed (dry run).${left}`);
        const noRoom = count('no-room');
        const taken = count('taken');
        io.out(
          `Queued ${count('queued')} backfill run(s) of ${id}.${noRoom ? ` ${noRoom} slot(s) left open: no room now (overlap skip); run the backfill again later.` : ''}${taken ? ` ${taken} slot(s) were run by someone else meanwhile.` : ''}${left}`,
        );
      }),
    );
}
