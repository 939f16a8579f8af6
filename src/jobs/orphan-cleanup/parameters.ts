import { z } from 'zod';
import { CLEANUP_ENTITY_TYPES } from '../../domain/grove/index.js';

export const orphanCleanupParameters = z.strictObject({
  /** What to clean: usage-events (of sprouts that no longer exist), executions (history past retention). */
  entityTypes: z
    .array(z.enum(CLEANUP_ENTITY_TYPES))
    .min(1, 'must name at least one of usage-events, executions')
    .refine((types) => new Set(types).size === types.length, 'must not repeat an entity type')
    .default([...CLEANUP_ENTITY_TYPES]),
  /**
   * Execution history retention in days: finished executions (and their log lines) that ended
   * longer ago are archived. Usage events need no age: a usage event of a sprout that does
   * not exist is orphaned whatever its age.
   */
  orphanThresholdDays: z.int('must be a whole number of days').min(1).max(36_500).default(90),
  /** Count what would be archived; change nothing. */
  dryRun: z.boolean().default(false),
});

export type OrphanCleanupParameters = z.output<typeof orphanCleanupParameters>;
