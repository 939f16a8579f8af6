import type { SignalValues } from '../../domain/grove/index.js';

/** The signal columns of sprout_signal_aggregations, as read (snake_case). */
export interface SignalColumns {
  view_count: number;
  retrieval_count: number;
  reference_count: number;
  search_count: number;
  upvotes: number;
  downvotes: number;
  export_count: number;
  promotion_count: number;
  refinement_count: number;
  unique_sessions: number;
  unique_users: number;
  unique_lenses: number;
  unique_hubs: number;
  first_event_at: Date | null;
  last_event_at: Date | null;
  active_span_days: number;
  utility_score: number;
  diversity_index: number;
  quality_score: number;
  advancement_eligible: boolean;
}

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

/** The signal columns as the domain names them (camelCase, instants as ISO 8601). */
export function toSignalValues(row: SignalColumns): SignalValues {
  return {
    viewCount: row.view_count,
    retrievalCount: row.retrieval_count,
    referenceCount: row.reference_count,
    searchCount: row.search_count,
    upvotes: row.upvotes,
    downvotes: row.downvotes,
    exportCount: row.export_count,
    promotionCount: row.promotion_count,
    refinementCount: row.refinement_count,
    uniqueSessions: row.unique_sessions,
    uniqueUsers: row.unique_users,
    uniqueLenses: row.unique_lenses,
    uniqueHubs: row.unique_hubs,
    firstEventAt: iso(row.first_event_at),
    lastEventAt: iso(row.last_event_at),
    activeSpanDays: row.active_span_days,
    utilityScore: row.utility_score,
    diversityIndex: row.diversity_index,
    qualityScore: row.quality_score,
    advancementEligible: row.advancement_eligible,
  };
}
