import type { Command } from 'commander';
import type { AdvancementEvent, Sprout, SproutSignals } from '../domain/grove/index.js';
import type { OpenedGroveJobs } from '../open.js';
import { type CliContext, withSystem } from './context.js';
import { readJsonArrayOrLines, readJsonFile } from './input.js';
import { formatUtc, json, table } from './output.js';

export function sproutJson(sprout: Sprout) {
  return {
    id: sprout.id,
    title: sprout.title,
    tier: sprout.tier,
    lifecycleModelId: sprout.lifecycleModelId,
    createdAt: sprout.createdAt.toISOString(),
    updatedAt: sprout.updatedAt.toISOString(),
  };
}

/** Signals keyed by period, without the row keys repeated inside. */
function signalsByPeriod(rows: readonly SproutSignals[]): Record<string, Omit<SproutSignals, 'sproutId' | 'period'>> {
  return Object.fromEntries(rows.map(({ sproutId: _id, period, ...values }) => [period, values]));
}

async function signalsOf(system: OpenedGroveJobs, sprouts: readonly Sprout[]): Promise<Map<string, SproutSignals[]>> {
  const bySprout = new Map<string, SproutSignals[]>();
  for (const row of await system.grove.signals.getSignals(sprouts.map((s) => s.id))) {
    const list = bySprout.get(row.sproutId) ?? [];
    list.push(row);
    bySprout.set(row.sproutId, list);
  }
  return bySprout;
}

const ADVANCEMENTS_SHOWN = 100;

/** Who made a tier change: the rule for an auto-advancement, the operator for an override or a rollback. */
function eventBy(event: AdvancementEvent): string {
  return event.eventType === 'auto-advancement' ? `rule ${event.ruleId ?? '?'}` : (event.operatorId ?? '');
}

/** Why: the criteria that held, or the operator's reason (a rollback also names the event it undid). */
function eventWhy(event: AdvancementEvent): string {
  if (event.eventType === 'auto-advancement') {
    return (event.criteriaMet ?? []).filter((c) => c.met).map((c) => `${c.signal} ${c.value === null ? '—' : Number(c.value.toFixed(4))} ${c.operator} ${c.threshold}`).join(', ');
  }
  const reason = event.reason ?? '';
  return event.eventType === 'bulk-rollback' && event.rollbackOf ? `${reason} (undoes ${event.rollbackOf})` : reason;
}

/** `grove-jobs sprouts import|list|show` and `grove-jobs events import`. */
export function registerSprouts(program: Command, context: CliContext): void {
  const { io } = context;
  const sprouts = program.command('sprouts').description('import, list and inspect sprouts');

  sprouts
    .command('import')
    .description('import sprouts from a JSON array of { id?, title, tier, lifecycleModelId? }: all or none')
    .requiredOption('--file <path>', "the JSON file, or '-' for standard input")
    .option('--json', 'print { ids }')
    .action((options: { file: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const ids = await system.grove.sprouts.importSprouts(await readJsonFile(context, options.file));
        io.out(options.json ? json({ ids }) : `Imported ${ids.length} sprout(s).`);
      }),
    );

  sprouts
    .command('list')
    .description('every sprout, by id (optionally of one tier)')
    .option('--tier <tier>', 'only sprouts at this tier')
    .option('--signals', "with each sprout's signals, keyed by period")
    .option('--json', 'print { items: [sprout] }')
    .action((options: { tier?: string; signals?: boolean; json?: boolean }) =>
      withSystem(context, async (system) => {
        const items: Array<ReturnType<typeof sproutJson> & { signals?: ReturnType<typeof signalsByPeriod> }> = [];
        const rows: string[][] = [];
        for await (const page of system.grove.sprouts.all(options.tier ? { tier: options.tier } : {})) {
          const signals = options.signals ? await signalsOf(system, page) : undefined;
          for (const sprout of page) {
            const own = signals?.get(sprout.id) ?? [];
            items.push(signals ? { ...sproutJson(sprout), signals: signalsByPeriod(own) } : sproutJson(sprout));
            const allTime = own.find((row) => row.period === 'all_time');
            rows.push(
              signals
                ? [sprout.id, sprout.tier, String(allTime?.viewCount ?? 0), String(allTime?.retrievalCount ?? 0), (allTime?.qualityScore ?? 0).toFixed(2), sprout.title]
                : [sprout.id, sprout.tier, sprout.title],
            );
          }
        }
        if (options.json) return io.out(json({ items }));
        if (items.length === 0) return io.out('No sprouts.');
        io.out(table(options.signals ? ['ID', 'TIER', 'VIEWS', 'RETRIEVALS', 'QUALITY', 'TITLE'] : ['ID', 'TIER', 'TITLE'], rows));
      }),
    );

  sprouts
    .command('show')
    .description('one sprout with its signals per period and its advancements')
    .argument('<id>', 'sprout id')
    .option('--json', 'print { ...sprout, signals: { period: … }, advancements: [event] }')
    .action((id: string, options: { json?: boolean }) =>
      withSystem(context, async (system) => {
        const sprout = await system.grove.sprouts.get(id);
        const signals = signalsByPeriod((await signalsOf(system, [sprout])).get(sprout.id) ?? []);
        const advancements = await system.grove.advancement.events({ sproutId: sprout.id, limit: ADVANCEMENTS_SHOWN });
        if (options.json) return io.out(json({ ...sproutJson(sprout), signals, advancements }));
        const lines = [`${sprout.id}  ${sprout.title}`, `Tier: ${sprout.tier} (${sprout.lifecycleModelId})`, `Created: ${formatUtc(sprout.createdAt)}`, ''];
        const periods = Object.entries(signals);
        lines.push(
          periods.length === 0
            ? 'Signals: none computed yet (signal-aggregation computes them)'
            : table(
                ['PERIOD', 'VIEWS', 'RETRIEVALS', 'CITATIONS', 'UP/DOWN', 'SESSIONS', 'DIVERSITY', 'QUALITY', 'ELIGIBLE'],
                periods.map(([period, v]) => [
                  period,
                  String(v.viewCount),
                  String(v.retrievalCount),
                  String(v.referenceCount),
                  `${v.upvotes}/${v.downvotes}`,
                  String(v.uniqueSessions),
                  v.diversityIndex.toFixed(2),
                  v.qualityScore.toFixed(2),
                  v.advancementEligible ? 'yes' : 'no',
                ]),
              ),
        );
        lines.push('');
        lines.push(
          advancements.length === 0
            ? 'Advancements: none'
            : table(
                ['WHEN', 'CHANGE', 'TYPE', 'BY', 'WHY', 'ROLLED BACK'],
                advancements.map((e) => [e.timestamp, `${e.fromTier} → ${e.toTier}`, e.eventType, eventBy(e), eventWhy(e), e.rolledBack ? 'yes' : '']),
              ),
        );
        io.out(lines.join('\n'));
      }),
    );

  const events = program.command('events').description('record usage events');
  events
    .command('import')
    .description('import usage events (NDJSON or a JSON array): all or none; createdAt may be past, never future')
    .requiredOption('--file <path>', "the file, or '-' for standard input")
    .option('--json', 'print { inserted }')
    .action((options: { file: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const inserted = await system.grove.sprouts.importEvents(await readJsonArrayOrLines(context, options.file));
        io.out(options.json ? json({ inserted }) : `Imported ${inserted} event(s).`);
      }),
    );
}
