import type { Command } from 'commander';
import type { Sprout } from '../domain/grove/index.js';
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
    .option('--json', 'print { items: [sprout] }')
    .action((options: { tier?: string; json?: boolean }) =>
      withSystem(context, async (system) => {
        const items: Sprout[] = [];
        for await (const page of system.grove.sprouts.all(options.tier ? { tier: options.tier } : {})) items.push(...page);
        if (options.json) return io.out(json({ items: items.map(sproutJson) }));
        io.out(items.length === 0 ? 'No sprouts.' : table(['ID', 'TIER', 'TITLE'], items.map((s) => [s.id, s.tier, s.title])));
      }),
    );

  sprouts
    .command('show')
    .description('one sprout')
    .argument('<id>', 'sprout id')
    .option('--json', 'print the sprout as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withSystem(context, async (system) => {
        const sprout = await system.grove.sprouts.get(id);
        if (options.json) return io.out(json(sproutJson(sprout)));
        io.out([`${sprout.id}  ${sprout.title}`, `Tier: ${sprout.tier} (${sprout.lifecycleModelId})`, `Created: ${formatUtc(sprout.createdAt)}`].join('\n'));
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
