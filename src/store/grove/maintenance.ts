import {
  ArchiveReason,
  type CleanupCounts,
  type DigestAdvancement,
  type DigestContent,
  type DigestFailure,
  type DigestRollback,
  type DigestSection,
  type DigestWindow,
} from '../../domain/grove/index.js';
import type { ArchivedPage, ArchivePage, DatabaseProbe, MaintenanceStore } from '../../engine/ports.js';
import { loadMigrations } from '../migrate.js';
import type { Sql, SqlQuery } from '../sql.js';

/**
 * An instant as ISO 8601 UTC with milliseconds, the way `Date.toISOString()` writes it: to_jsonb
 * of a timestamptz would follow the session's TimeZone setting instead.
 */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Statuses a cleanup never touches: the execution is not history yet. */
const ACTIVE_STATUSES = `('queued', 'running')`;

/** Below every execution id (the nil uuid is never generated): keyset start for executions. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

// ── digest ────────────────────────────────────────────────────────────────────────────────

const getDigestCursor = (configId: string): SqlQuery => ({
  name: 'maintenance-digest-cursor',
  text: `select covered_until from digest_cursors where config_id = $1`,
  values: [configId],
});

/** The first digest of a config: of two racing first runs, the insert lets exactly one win. */
const insertDigestCursor = (configId: string, to: Date, executionId: string): SqlQuery => ({
  name: 'maintenance-digest-cursor-insert',
  text: `insert into digest_cursors (config_id, covered_until, execution_id, updated_at)
         values ($1, $2::timestamptz, $3::uuid, $2::timestamptz)
         on conflict (config_id) do nothing
         returning config_id`,
  values: [configId, to, executionId],
});

/** Compare-and-set: of two runs that read the same cursor, only the first update matches it. */
const moveDigestCursor = (configId: string, from: Date, to: Date, executionId: string): SqlQuery => ({
  name: 'maintenance-digest-cursor-move',
  text: `update digest_cursors set covered_until = $3::timestamptz, execution_id = $4::uuid, updated_at = $3::timestamptz
          where config_id = $1 and covered_until = $2::timestamptz
         returning config_id`,
  values: [configId, from, to, executionId],
});

interface SectionRow<Item, Group> {
  total: number;
  items: Item[];
  groups: Group[];
}

const digestFailures = (window: DigestWindow, limit: number): SqlQuery => ({
  name: 'maintenance-digest-failures',
  // The window's endings through the finish times' index (migration 0017), then each execution by primary key.
  text: `with f as (
           select e.id, e.config_id, e.status, e.attempt, e.finished_at, e.error
             from execution_endings x join executions e on e.id = x.id
            where x.finished_at > $1::timestamptz and x.finished_at <= $2::timestamptz and e.status in ('failed', 'timeout')
         )
         select (select count(*)::int from f) as total,
                coalesce((select jsonb_agg(jsonb_build_object('configId', config_id, 'count', n) order by n desc, config_id)
                            from (select config_id, count(*)::int as n from f group by config_id) g), '[]'::jsonb) as groups,
                coalesce((select jsonb_agg(jsonb_build_object(
                                   'executionId', id::text, 'configId', config_id, 'status', status, 'attempt', attempt,
                                   'finishedAt', ${iso('finished_at')}, 'error', error->>'message')
                                 order by finished_at desc, id)
                            from (select * from f order by finished_at desc, id limit $3) i), '[]'::jsonb) as items`,
  values: [window.since, window.until, limit],
});

const digestAdvancements = (window: DigestWindow, limit: number): SqlQuery => ({
  name: 'maintenance-digest-advancements',
  text: `with a as (
           select id, sprout_id, rule_id, from_tier, to_tier, execution_id, rolled_back, created_at
             from advancement_events
            where event_type = 'auto-advancement' and created_at > $1::timestamptz and created_at <= $2::timestamptz
         )
         select (select count(*)::int from a) as total,
                coalesce((select jsonb_agg(jsonb_build_object('fromTier', from_tier, 'toTier', to_tier, 'count', n) order by n desc, from_tier, to_tier)
                            from (select from_tier, to_tier, count(*)::int as n from a group by from_tier, to_tier) g), '[]'::jsonb) as groups,
                coalesce((select jsonb_agg(jsonb_build_object(
                                   'eventId', id::text, 'sproutId', sprout_id, 'fromTier', from_tier, 'toTier', to_tier, 'ruleId', rule_id,
                                   'executionId', execution_id::text, 'rolledBack', rolled_back, 'at', ${iso('created_at')})
                                 order by created_at desc, id)
                            from (select * from a order by created_at desc, id limit $3) i), '[]'::jsonb) as items`,
  values: [window.since, window.until, limit],
});

const digestRollbacks = (window: DigestWindow, limit: number): SqlQuery => ({
  name: 'maintenance-digest-rollbacks',
  text: `with r as (
           select id, sprout_id, from_tier, to_tier, operator_id, reason, rollback_of, created_at
             from advancement_events
            where event_type = 'bulk-rollback' and created_at > $1::timestamptz and created_at <= $2::timestamptz
         )
         select (select count(*)::int from r) as total,
                coalesce((select jsonb_agg(jsonb_build_object('operatorId', operator_id, 'count', n) order by n desc, operator_id)
                            from (select operator_id, count(*)::int as n from r group by operator_id) g), '[]'::jsonb) as groups,
                coalesce((select jsonb_agg(jsonb_build_object(
                                   'eventId', id::text, 'sproutId', sprout_id, 'fromTier', from_tier, 'toTier', to_tier,
                                   'operatorId', operator_id, 'reason', reason, 'rollbackOf', rollback_of::text, 'at', ${iso('created_at')})
                                 order by created_at desc, id)
                            from (select * from r order by created_at desc, id limit $3) i), '[]'::jsonb) as items`,
  values: [window.since, window.until, limit],
});

// ── cleanup ───────────────────────────────────────────────────────────────────────────────

/** Usage events whose sprout does not exist (events have no foreign key, by design: 0004). */
const ORPHANED_EVENT = `not exists (select 1 from sprouts s where s.id = e.sprout_id)`;
/** Finished executions that ended before $n; skipped ones never started, so their queue time counts. */
const expiredExecution = (before: string) => `e.status not in ${ACTIVE_STATUSES} and coalesce(e.finished_at, e.queued_at) < ${before}::timestamptz`;

const countCleanup = (usageEvents: boolean, executionsBefore: Date | undefined): SqlQuery => ({
  name: 'maintenance-cleanup-count',
  text: `select case when $1::boolean then (select count(*)::int from sprout_usage_events e where ${ORPHANED_EVENT}) else 0 end as usage_events,
                case when $2::timestamptz is null then 0
                     else (select count(*)::int from executions e where ${expiredExecution('$2')}) end as executions,
                case when $2::timestamptz is null then 0
                     else (select count(*)::int from execution_logs l join executions e on e.id = l.execution_id where ${expiredExecution('$2')}) end as execution_logs`,
  values: [usageEvents, executionsBefore ?? null],
});

interface ArchiveRow {
  usage_events: number;
  executions: number;
  execution_logs: number;
  page_size: number;
  last_id: string | null;
}

/**
 * One page in one statement, so it commits or rolls back whole: lock the page (SKIP LOCKED: two
 * cleanups running at once take different rows, none is archived twice), copy each row whole
 * into archived_rows, delete it. Every part reads the statement's snapshot, so the copies see
 * the rows the delete removes.
 */
const archiveOrphanUsageEvents = (page: ArchivePage): SqlQuery => ({
  name: 'maintenance-archive-usage-events',
  text: `with page as (
           select e.id from sprout_usage_events e
            where e.id > $1::bigint and ${ORPHANED_EVENT}
            order by e.id
            limit $2
              for update of e skip locked
         ), archived as (
           insert into archived_rows (source_table, source_id, row_data, archived_at, execution_id, reason)
           select 'sprout_usage_events', e.id::text, to_jsonb(e), $3::timestamptz, $4::uuid, $5
             from sprout_usage_events e join page p on p.id = e.id
            order by e.id
           returning 1
         ), deleted as (
           delete from sprout_usage_events e using page p where e.id = p.id returning e.id
         )
         select (select count(*)::int from deleted) as usage_events, 0 as executions, 0 as execution_logs,
                (select count(*)::int from archived) as page_size, (select max(id)::text from deleted) as last_id`,
  // Identity ids start at 1: '0' is before the first.
  values: [page.after ?? '0', page.limit, page.at, page.executionId, ArchiveReason.OrphanedUsageEvent],
});

/**
 * Same shape as the usage events, for executions past retention and their log lines. The
 * status filter is inside the locked page: a row locked here cannot be claimed or finished
 * meanwhile, and queued or running executions are never selected. The log lines go with
 * their execution (the foreign key cascades); they are archived first from the same snapshot.
 * Finish times logged before the cutoff go too.
 */
const archiveExecutionHistory = (page: ArchivePage & { before: Date }): SqlQuery => ({
  name: 'maintenance-archive-executions',
  text: `with page as (
           select e.id from executions e
            where e.id > $1::uuid and ${expiredExecution('$2')}
            order by e.id
            limit $3
              for update of e skip locked
         ), archived_logs as (
           insert into archived_rows (source_table, source_id, row_data, archived_at, execution_id, reason)
           select 'execution_logs', l.id::text, to_jsonb(l), $4::timestamptz, $5::uuid, $6
             from execution_logs l join page p on p.id = l.execution_id
            order by l.id
           returning 1
         ), archived_executions as (
           insert into archived_rows (source_table, source_id, row_data, archived_at, execution_id, reason)
           select 'executions', e.id::text, to_jsonb(e), $4::timestamptz, $5::uuid, $6
             from executions e join page p on p.id = e.id
            order by e.id
           returning 1
         ), deleted as (
           delete from executions e using page p where e.id = p.id returning e.id
         ), pruned as (
           -- The finish times of executions past retention (migration 0017), by time: one index range.
           delete from execution_endings x where x.finished_at < $2::timestamptz
         )
         select 0 as usage_events, (select count(*)::int from deleted) as executions, (select count(*)::int from archived_logs) as execution_logs,
                (select count(*)::int from archived_executions) as page_size, (select max(id::text) from deleted) as last_id`,
  values: [page.after ?? NIL_UUID, page.before, page.limit, page.at, page.executionId, ArchiveReason.ExecutionRetention],
});

// ── health ────────────────────────────────────────────────────────────────────────────────

/** now() is the database's clock (transaction start, here the statement's): the point of the probe. */
const probeDatabase = (): SqlQuery => ({
  name: 'maintenance-probe',
  text: `select now() as database_now,
                coalesce((select jsonb_agg(jsonb_build_object('version', version, 'name', name, 'checksum', checksum) order by version)
                            from grove_migrations), '[]'::jsonb) as applied`,
});

function toArchivedPage(row: ArchiveRow | undefined, limit: number): ArchivedPage {
  const counts: CleanupCounts = { usageEvents: row?.usage_events ?? 0, executions: row?.executions ?? 0, executionLogs: row?.execution_logs ?? 0 };
  const size = row?.page_size ?? 0;
  return { counts, lastId: row?.last_id ?? null, more: size >= limit };
}

/** The maintenance side of the Grove store (digest cursors, cleanup archiving, health probe), in SQL. */
export function createMaintenanceStore(sql: Sql): MaintenanceStore {
  let available: DatabaseProbe['migrations']['available'] | undefined;
  return {
    async getDigestCursor(configId) {
      const [row] = await sql.query<{ covered_until: Date }>(getDigestCursor(configId));
      return row ? new Date(row.covered_until) : undefined;
    },

    async advanceDigestCursor(configId, from, to, executionId) {
      const rows = await sql.query(from === undefined ? insertDigestCursor(configId, to, executionId) : moveDigestCursor(configId, from, to, executionId));
      return rows.length === 1;
    },

    async collectDigest(window, sections, itemLimit) {
      const content: DigestContent = {};
      const wanted = new Set<DigestSection>(sections);
      if (wanted.has('failures')) {
        const [row] = await sql.query<SectionRow<DigestFailure, { configId: string; count: number }>>(digestFailures(window, itemLimit));
        const total = row?.total ?? 0;
        const items = row?.items ?? [];
        content.failures = { total, items, truncated: items.length < total, byConfig: row?.groups ?? [] };
      }
      if (wanted.has('advancements')) {
        const [row] = await sql.query<SectionRow<DigestAdvancement, { fromTier: string; toTier: string; count: number }>>(digestAdvancements(window, itemLimit));
        const total = row?.total ?? 0;
        const items = row?.items ?? [];
        content.advancements = { total, items, truncated: items.length < total, byTransition: row?.groups ?? [] };
      }
      if (wanted.has('rollbacks')) {
        const [row] = await sql.query<SectionRow<DigestRollback, { operatorId: string | null; count: number }>>(digestRollbacks(window, itemLimit));
        const total = row?.total ?? 0;
        const items = row?.items ?? [];
        content.rollbacks = { total, items, truncated: items.length < total, byOperator: row?.groups ?? [] };
      }
      return content;
    },

    async countCleanup({ usageEvents, executionsBefore }) {
      const [row] = await sql.query<{ usage_events: number; executions: number; execution_logs: number }>(countCleanup(usageEvents, executionsBefore));
      return { usageEvents: row?.usage_events ?? 0, executions: row?.executions ?? 0, executionLogs: row?.execution_logs ?? 0 };
    },

    async archiveOrphanUsageEvents(page) {
      // One statement; the transaction names the unit of work and keeps it whole on either driver.
      const [row] = await sql.transaction((tx) => tx.query<ArchiveRow>(archiveOrphanUsageEvents(page)));
      return toArchivedPage(row, page.limit);
    },

    async archiveExecutionHistory(page) {
      const [row] = await sql.transaction((tx) => tx.query<ArchiveRow>(archiveExecutionHistory(page)));
      return toArchivedPage(row, page.limit);
    },

    async probeDatabase() {
      const [row] = await sql.query<{ database_now: Date; applied: Array<{ version: number; name: string; checksum: string }> }>(probeDatabase());
      // The files do not change while the process runs: read them once.
      available ??= loadMigrations().map(({ version, name, checksum }) => ({ version, name, checksum }));
      return { databaseNow: new Date(row?.database_now ?? Number.NaN), migrations: { applied: row?.applied ?? [], available } };
    },
  };
}
