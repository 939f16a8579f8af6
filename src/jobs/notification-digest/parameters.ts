import { z } from 'zod';
import { DIGEST_SECTIONS } from '../../domain/grove/index.js';

/** A year: a first digest reaching further back is a report, not a digest. */
const MAX_LOOKBACK_HOURS = 24 * 366;

export const notificationDigestParameters = z.strictObject({
  /** The sections to include: failures, advancements, rollbacks (default all three). */
  eventTypes: z
    .array(z.enum(DIGEST_SECTIONS))
    .min(1, 'must name at least one of failures, advancements, rollbacks')
    .refine((types) => new Set(types).size === types.length, 'must not repeat a section')
    .default([...DIGEST_SECTIONS]),
  /** Who the digest is for (operator ids, addresses): carried in the digest, not interpreted here. */
  recipientIds: z
    .array(z.string().trim().min(1, 'must not be empty').max(200))
    .max(1000)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a recipient')
    .default([]),
  /** How far back the first digest of a config reaches; later ones start where the previous stopped. */
  lookbackHours: z.int('must be a whole number of hours').min(1).max(MAX_LOOKBACK_HOURS).default(24),
  /** Deliver a digest even when nothing happened ("all quiet"); by default an empty digest is only logged. */
  sendWhenEmpty: z.boolean().default(false),
});

export type NotificationDigestParameters = z.output<typeof notificationDigestParameters>;
