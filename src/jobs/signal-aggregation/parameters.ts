import { z } from 'zod';
import { SIGNAL_PERIODS } from '../../domain/grove/index.js';

export const signalAggregationParameters = z.strictObject({
  /** The periods to refresh, in this order; all three when omitted. */
  periods: z
    .array(z.enum(SIGNAL_PERIODS, { error: `must be one of ${SIGNAL_PERIODS.join(', ')}` }))
    .min(1, 'must name at least one period')
    .refine((periods) => new Set(periods).size === periods.length, 'must not name a period twice')
    .default([...SIGNAL_PERIODS]),
  /** Recompute every sprout instead of only those whose events changed or crossed a window edge. */
  full: z.boolean().default(false),
});

export type SignalAggregationParameters = z.output<typeof signalAggregationParameters>;
