import type { SqlQuery } from '../sql.js';
import { CHANGE_COLUMNS, HELD, SHOWN, versionJoin } from './executions.js';

/*
 * What a resumed event stream replays (the API's `/api/events` with `Last-Event-ID`): the
 * executions and configs that changed since the client's last event, read from the same narrow
 * tables and indexes as the live watcher's poll (executions.ts `watchExecutions`).
 */

/**
 * Executions changed at or after `since` (`$1`): every running one (progress carries no time
 * of its own, so any of them may have moved), those queued since and still queued, and those
 * ended since (the endings' finish times, which skipped and cancelled ones get too). At most
 * `limit` (`$2`), oldest change first; each branch stops at the limit as well, so a caller
 * asking for one more than it will replay learns that there were too many. Rows as
 * `ExecutionChangeRow`.
 */
export const executionsChangedSince = (since: Date, limit: number): SqlQuery => ({
  name: 'live-events-executions-since',
  text: `with ${HELD}, picked as (
           (select id from held)
           union (select id from execution_queue where queued_at >= $1::timestamptz order by queued_at limit $2)
           union (select id from execution_endings where finished_at >= $1::timestamptz order by finished_at limit $2)
         ), ${SHOWN}
         select ${CHANGE_COLUMNS}
           from shown e ${versionJoin('e')}
          order by greatest(e.queued_at, e.live_started_at, e.finished_at), e.id
          limit $2`,
  values: [since, limit],
});

export interface ConfigChangeRow {
  id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  paused_at: Date | null;
  consecutive_failures: number;
}

/**
 * Every config with when it was created and last changed, and its pause: the replay sends
 * those changed since the client's last event, and tells from the ids whether any the client
 * knew was deleted meanwhile (a deletion leaves no row behind).
 */
export const configChanges = (): SqlQuery => ({
  name: 'live-events-configs',
  text: `select c.id, c.version, c.created_at, c.updated_at, s.paused_at, coalesce(s.consecutive_failures, 0)::int as consecutive_failures
           from job_configs c left join schedule_state s on s.config_id = c.id
          order by c.id`,
});
