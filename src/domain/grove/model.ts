import { z } from 'zod';
import { findUnstorable } from '../config/storable.js';

/** The lifecycle model every new sprout belongs to unless told otherwise. */
export const DEFAULT_LIFECYCLE_MODEL = 'botanical';
/** The botanical model's tiers, lowest first (the lifecycle_models row of the same id). */
export const BOTANICAL_TIERS = ['seed', 'sprout', 'sapling', 'tree', 'grove'] as const;

export const SIGNAL_PERIODS = ['all_time', 'last_30d', 'last_7d'] as const;
export type SignalPeriod = (typeof SIGNAL_PERIODS)[number];
/** A period's window ends at the job's clock time and reaches back this many days (all_time: no start). */
export const PERIOD_DAYS: Record<SignalPeriod, number | null> = { all_time: null, last_30d: 30, last_7d: 7 };

export const USAGE_EVENT_TYPES = ['viewed', 'retrieved', 'referenced', 'searched', 'rated_up', 'rated_down', 'exported', 'promoted', 'refined'] as const;
export type UsageEventType = (typeof USAGE_EVENT_TYPES)[number];

export const ADVANCEMENT_EVENT_TYPES = ['auto-advancement', 'manual-override', 'bulk-rollback'] as const;
export type AdvancementEventType = (typeof ADVANCEMENT_EVENT_TYPES)[number];

/** Text PostgreSQL can store: it refuses NUL, and a database error names no field. */
const text = () => z.string().refine((value) => !value.includes('\u0000'), 'must not contain the NUL character');
const id = text().trim().min(1).max(200);

/** Free-form metadata, bounded before anything walks it (JSON.stringify and jsonb recurse per level). */
const metadata = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const unstorable = findUnstorable(value);
  if (unstorable) ctx.addIssue({ code: 'custom', path: unstorable.path, message: unstorable.message });
});

/** A sprout as imported or created: the id is generated when omitted. */
export const sproutInput = z.strictObject({
  id: id.optional(),
  title: text().trim().min(1).max(500),
  tier: text().trim().min(1).max(100),
  lifecycleModelId: id.optional(),
});
export type SproutInput = z.infer<typeof sproutInput>;

export interface Sprout {
  id: string;
  title: string;
  tier: string;
  lifecycleModelId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One usage event as recorded by the platform (or imported; `createdAt` may be in the past). */
export const usageEventInput = z.strictObject({
  eventType: z.enum(USAGE_EVENT_TYPES),
  sproutId: id,
  sessionId: id,
  userId: id.optional(),
  provenance: z
    .strictObject({ lensId: id.optional(), hubId: id.optional(), queryHash: id.optional() })
    .optional(),
  metadata: metadata.optional(),
  createdAt: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
});
export type UsageEventInput = z.input<typeof usageEventInput>;
export type UsageEvent = z.output<typeof usageEventInput>;

/** The signals of one sprout over one period (camelCase everywhere outside SQL). */
export interface SignalValues {
  viewCount: number;
  retrievalCount: number;
  referenceCount: number;
  searchCount: number;
  upvotes: number;
  downvotes: number;
  exportCount: number;
  promotionCount: number;
  refinementCount: number;
  uniqueSessions: number;
  uniqueUsers: number;
  uniqueLenses: number;
  uniqueHubs: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
  activeSpanDays: number;
  utilityScore: number;
  diversityIndex: number;
  qualityScore: number;
  advancementEligible: boolean;
}

export interface SproutSignals extends SignalValues {
  sproutId: string;
  period: SignalPeriod;
  computedAt: string;
}
