import { z } from 'zod';
import { SIGNAL_PERIODS } from '../../domain/grove/index.js';

const name = z.string().trim().min(1).max(200);

/** The `advancement-batch` parameters (SPEC §5). The seeds ran it with `fromTiers: ['sprout']`. */
export const advancementBatchParameters = z.strictObject({
  /** Which aggregation the rules read. */
  signalPeriod: z.enum(SIGNAL_PERIODS, { error: `must be one of ${SIGNAL_PERIODS.join(', ')}` }).default('all_time'),
  /** Only sprouts at these tiers; omitted: every tier that has an enabled rule. */
  fromTiers: z.array(name).min(1, 'must name at least one tier (omit it for every tier with a rule)').max(100).optional(),
  /** Only sprouts of this lifecycle model; omitted: every model. */
  lifecycleModelId: name.optional(),
  /** Evaluate and report what would advance, writing nothing. */
  dryRun: z.boolean().default(false),
});

export type AdvancementBatchParameters = z.output<typeof advancementBatchParameters>;
