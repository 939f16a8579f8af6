import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { JobConfig, JobContext, JobProgress, LogLevel } from '../../src/domain/config/index.js';
import type { DigestNotification, HealthAlertNotification, MaintenanceStore } from '../../src/engine/ports.js';
import { executeHealthCheck, healthCheckParameters, type HealthCheckDeps } from '../../src/jobs/health-check/index.js';
import { executeNotificationDigest, notificationDigestParameters } from '../../src/jobs/notification-digest/index.js';
import { executeOrphanCleanup, orphanCleanupParameters } from '../../src/jobs/orphan-cleanup/index.js';
import { createLogNotifier, createNotifier, createWebhookNotifier, verifySignature } from '../../src/notify/index.js';
import { createMaintenanceStore } from '../../src/store/grove/maintenance.js';
import type { Sql } from '../../src/store/sql.js';
import { type Received, startHttpReceiver } from '../support/http-receiver.js';
import type { SqlFactory } from '../support/test-store.js';

const SECRET = 'digest-secret-0123456789';

interface Notifications {
  channels: Array<'log' | 'webhook'>;
  webhookUrl?: string;
  webhookSecret?: string;
}

/** A config as the handler sees it: only the fields the maintenance jobs read. */
function aConfig(id: string, notifications: Notifications = { channels: ['log'] }): JobConfig {
  return {
    meta: { id, version: 3 },
    payload: { displayName: `Display ${id}`, notifications: { onSuccess: false, onFailure: true, pauseAfterConsecutiveFailures: 0, ...notifications } },
  } as unknown as JobConfig;
}

/** A JobContext for one execution; parameters go through the type's schema, as the engine's do. */
function aContext<P>(
  parameters: P,
  options: { config: JobConfig; now: Date | (() => Date); batchSize?: number; dryRun?: boolean; executionId?: string },
): { context: JobContext<P>; logs: Array<{ level: LogLevel; message: string }>; progress: JobProgress[] } {
  const logs: Array<{ level: LogLevel; message: string }> = [];
  const progress: JobProgress[] = [];
  const { now } = options;
  const context: JobContext<P> = {
    executionId: options.executionId ?? randomUUID(),
    config: options.config,
    parameters,
    slot: undefined,
    attempt: 1,
    batchSize: options.batchSize ?? 100,
    dryRun: options.dryRun ?? false,
    signal: new AbortController().signal,
    now: typeof now === 'function' ? now : () => now,
    log: (level, message) => void logs.push({ level, message }),
    progress: (p) => void progress.push(p),
  };
  return { context, logs, progress };
}

/** Log and webhook channels as app.ts builds them, with instant retry waits and recorded give-ups. */
function aNotifier() {
  const lines: string[] = [];
  const undelivered: unknown[] = [];
  const notifier = createNotifier({
    log: createLogNotifier((line) => lines.push(line)),
    webhook: createWebhookNotifier({ sleep: async () => undefined, onDeliveryError: (error) => undelivered.push(error) }),
  });
  return { notifier, lines, undelivered };
}

async function insertConfig(sql: Sql, id: string): Promise<void> {
  await sql.query({
    name: 'test-maintenance-config',
    text: `insert into job_configs (id, job_type, version, is_enabled, config, created_at, updated_at, created_by, updated_by)
           values ($1, 'test-job', 1, false, '{}'::jsonb, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 't', 't')`,
    values: [id],
  });
}

async function insertExecution(
  sql: Sql,
  row: { configId: string; status: string; queuedAt: string; finishedAt?: string | null; error?: string; logs?: number },
): Promise<string> {
  const id = randomUUID();
  await sql.query({
    name: 'test-maintenance-execution',
    // As the engine writes one: a finished execution's finish time is logged beside it (migration 0017).
    text: `with inserted as (
             insert into executions (id, config_id, config_version, config, status, trigger, run_id, queued_at, run_after, started_at, finished_at, error)
             values ($1::uuid, $2, 1, '{}'::jsonb, $3, 'schedule', $1::uuid, $4::timestamptz, $4::timestamptz,
                     case when $3 <> 'queued' then $4::timestamptz end, $5::timestamptz, $6::jsonb)
             returning id, finished_at
           )
           insert into execution_endings (finished_at, id) select finished_at, id from inserted where finished_at is not null`,
    values: [id, row.configId, row.status, row.queuedAt, row.finishedAt ?? null, row.error === undefined ? null : JSON.stringify({ message: row.error })],
  });
  for (let n = 0; n < (row.logs ?? 0); n += 1) {
    await sql.query({
      name: 'test-maintenance-log',
      text: `insert into execution_logs (execution_id, logged_at, level, message) values ($1::uuid, $2::timestamptz, 'info', $3)`,
      values: [id, row.queuedAt, `line ${n}`],
    });
  }
  return id;
}

async function insertAdvancementEvent(
  sql: Sql,
  row: { sproutId: string; from: string; to: string; type: 'auto-advancement' | 'bulk-rollback'; at: string; operator?: string; reason?: string; rollbackOf?: string },
): Promise<string> {
  const id = randomUUID();
  await sql.query({
    name: 'test-maintenance-advancement',
    text: `insert into advancement_events (id, sprout_id, rule_id, from_tier, to_tier, event_type, execution_id, operator_id, reason, rollback_of, created_at)
           values ($1::uuid, $2, case when $5 = 'auto-advancement' then 'rule-1' end, $3, $4, $5,
                   case when $5 = 'auto-advancement' then gen_random_uuid() end, $6, $7, $8::uuid, $9::timestamptz)`,
    values: [id, row.sproutId, row.from, row.to, row.type, row.operator ?? null, row.reason ?? null, row.rollbackOf ?? null, row.at],
  });
  return id;
}

async function count(sql: Sql, table: string, where = 'true'): Promise<number> {
  const [row] = await sql.query<{ n: number }>({ name: `test-count-${table}-${where}`, text: `select count(*)::int as n from ${table} where ${where}` });
  return row?.n ?? -1;
}

/** The maintenance store and the digest, cleanup and health-check jobs, run unchanged on every driver. */
export function runMaintenanceSuite(factory: SqlFactory): void {
  describe(`maintenance jobs on ${factory.name}`, () => {
    let sql: Sql;
    let maintenance: MaintenanceStore;

    beforeEach(async () => {
      sql = await factory.make();
      maintenance = createMaintenanceStore(sql);
    });
    afterAll(() => factory.dispose());

    describe('notification-digest', () => {
      async function seedWindowOne(): Promise<{ rolledBack: string }> {
        await insertConfig(sql, 'nightly');
        await insertConfig(sql, 'hourly');
        await insertExecution(sql, { configId: 'nightly', status: 'failed', queuedAt: '2026-03-01T02:00:00Z', finishedAt: '2026-03-01T02:00:05Z', error: 'connection refused' });
        await insertExecution(sql, { configId: 'hourly', status: 'timeout', queuedAt: '2026-03-01T05:00:00Z', finishedAt: '2026-03-01T05:02:00Z', error: 'timed out after 120 s' });
        // Not in the digest: a success, a running one, and a failure before the lookback window.
        await insertExecution(sql, { configId: 'hourly', status: 'success', queuedAt: '2026-03-01T06:00:00Z', finishedAt: '2026-03-01T06:00:01Z' });
        await insertExecution(sql, { configId: 'hourly', status: 'running', queuedAt: '2026-03-01T07:00:00Z' });
        await insertExecution(sql, { configId: 'nightly', status: 'failed', queuedAt: '2026-02-27T02:00:00Z', finishedAt: '2026-02-27T02:00:05Z', error: 'old' });
        const rolledBack = await insertAdvancementEvent(sql, { sproutId: 's1', from: 'seed', to: 'sprout', type: 'auto-advancement', at: '2026-03-01T02:10:00Z' });
        await insertAdvancementEvent(sql, { sproutId: 's2', from: 'seed', to: 'sprout', type: 'auto-advancement', at: '2026-03-01T02:10:00Z' });
        await insertAdvancementEvent(sql, { sproutId: 's3', from: 'sprout', to: 'sapling', type: 'auto-advancement', at: '2026-03-01T02:11:00Z' });
        await insertAdvancementEvent(sql, { sproutId: 's1', from: 'sprout', to: 'seed', type: 'bulk-rollback', at: '2026-03-01T09:00:00Z', operator: 'ana', reason: 'bad rule', rollbackOf: rolledBack });
        return { rolledBack };
      }

      it('delivers the digest to the log and to a webhook receiver with a valid signature, and a repeated run sends only what is new', async () => {
        const { rolledBack } = await seedWindowOne();
        const receiver = await startHttpReceiver((_request, response) => response.writeHead(204).end(), '/hooks/T0K3N');
        const { notifier, lines, undelivered } = aNotifier();
        const config = aConfig('daily-digest', { channels: ['log', 'webhook'], webhookUrl: receiver.url, webhookSecret: SECRET });
        const parameters = notificationDigestParameters.parse({ recipientIds: ['ops', 'ana@example.test'], lookbackHours: 24 });

        const first = aContext(parameters, { config, now: new Date('2026-03-01T12:00:00Z') });
        const outcome = await executeNotificationDigest({ maintenance, notifier }, first.context);
        await notifier.flush();

        expect(outcome.result).toMatchObject({ since: '2026-02-28T12:00:00.000Z', until: '2026-03-01T12:00:00.000Z', first: true, delivered: true, totals: { failures: 2, advancements: 3, rollbacks: 1 } });
        expect(JSON.stringify(outcome)).not.toContain(SECRET);
        expect(JSON.stringify(outcome)).not.toContain('T0K3N');
        expect(undelivered).toEqual([]);
        expect(receiver.requests).toHaveLength(1);
        const [request] = receiver.requests as [Received];
        expect(verifySignature(request.body, SECRET, request.headers['x-grove-signature'])).toBe(true);
        expect(request.body.toString('utf8')).not.toContain(SECRET);
        const body = JSON.parse(request.body.toString('utf8')) as Omit<DigestNotification, 'channels'>;
        expect(body).toMatchObject({ kind: 'digest.ready', at: '2026-03-01T12:00:00.000Z', configId: 'daily-digest', configVersion: 3, displayName: 'Display daily-digest', executionId: first.context.executionId });
        expect(body.digest).toMatchObject({ since: '2026-02-28T12:00:00.000Z', until: '2026-03-01T12:00:00.000Z', recipientIds: ['ops', 'ana@example.test'], sections: ['failures', 'advancements', 'rollbacks'] });
        expect(body.digest.failures).toMatchObject({ total: 2, truncated: false, byConfig: expect.arrayContaining([{ configId: 'nightly', count: 1 }, { configId: 'hourly', count: 1 }]) });
        expect(body.digest.failures?.items.map((f) => [f.configId, f.status, f.finishedAt, f.error])).toEqual([
          ['hourly', 'timeout', '2026-03-01T05:02:00.000Z', 'timed out after 120 s'],
          ['nightly', 'failed', '2026-03-01T02:00:05.000Z', 'connection refused'],
        ]);
        expect(body.digest.advancements).toMatchObject({ total: 3, byTransition: [{ fromTier: 'seed', toTier: 'sprout', count: 2 }, { fromTier: 'sprout', toTier: 'sapling', count: 1 }] });
        expect(body.digest.advancements?.items[0]).toMatchObject({ sproutId: 's3', fromTier: 'sprout', toTier: 'sapling', ruleId: 'rule-1', at: '2026-03-01T02:11:00.000Z' });
        expect(body.digest.rollbacks).toMatchObject({ total: 1, byOperator: [{ operatorId: 'ana', count: 1 }] });
        expect(body.digest.rollbacks?.items).toEqual([
          { eventId: expect.any(String), sproutId: 's1', fromTier: 'sprout', toTier: 'seed', operatorId: 'ana', reason: 'bad rule', rollbackOf: rolledBack, at: '2026-03-01T09:00:00.000Z' },
        ]);
        expect(lines).toHaveLength(1);
        expect(lines[0]).not.toContain('T0K3N');
        expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', kind: 'digest.ready', configId: 'daily-digest', failures: 2, advancements: 3, rollbacks: 1, recipientIds: ['ops', 'ana@example.test'] });

        // New since the first digest: one failure and one advancement; earlier ones are not repeated.
        await insertExecution(sql, { configId: 'nightly', status: 'failed', queuedAt: '2026-03-01T20:00:00Z', finishedAt: '2026-03-01T20:00:03Z', error: 'again' });
        await insertAdvancementEvent(sql, { sproutId: 's9', from: 'tree', to: 'grove', type: 'auto-advancement', at: '2026-03-01T12:00:00.001Z' });
        const second = aContext(parameters, { config, now: new Date('2026-03-02T12:00:00Z') });
        const again = await executeNotificationDigest({ maintenance, notifier }, second.context);
        await notifier.flush();

        expect(again.result).toMatchObject({ since: '2026-03-01T12:00:00.000Z', first: false, delivered: true, totals: { failures: 1, advancements: 1, rollbacks: 0 } });
        const secondBody = JSON.parse((receiver.requests[1] as Received).body.toString('utf8')) as DigestNotification;
        expect(secondBody.digest.failures?.items.map((f) => f.error)).toEqual(['again']);
        expect(secondBody.digest.advancements?.items.map((a) => a.sproutId)).toEqual(['s9']);

        // Nothing new: nothing sent, the cursor still moves on.
        const third = aContext(parameters, { config, now: new Date('2026-03-03T12:00:00Z') });
        expect((await executeNotificationDigest({ maintenance, notifier }, third.context)).result).toMatchObject({ delivered: false, totals: { failures: 0, advancements: 0, rollbacks: 0 } });
        await notifier.flush();
        expect(receiver.requests).toHaveLength(2);
        expect(await maintenance.getDigestCursor('daily-digest')).toEqual(new Date('2026-03-03T12:00:00Z'));
      });

      it('includes only the sections asked for, and a dry run sends nothing and leaves the cursor alone', async () => {
        await seedWindowOne();
        const { notifier, lines } = aNotifier();
        const parameters = notificationDigestParameters.parse({ eventTypes: ['rollbacks'] });
        const { context } = aContext(parameters, { config: aConfig('rollback-digest'), now: new Date('2026-03-01T12:00:00Z'), dryRun: true });

        const outcome = await executeNotificationDigest({ maintenance, notifier }, context);

        expect(outcome.summary).toBe('dry run: digest of 1 rollback not sent');
        expect(outcome.result).toMatchObject({ dryRun: true, delivered: false, digest: { sections: ['rollbacks'], rollbacks: { total: 1 } } });
        expect(outcome.result?.['digest']).not.toHaveProperty('failures');
        expect(lines).toEqual([]);
        expect(await maintenance.getDigestCursor('rollback-digest')).toBeUndefined();
      });

      it('moves the cursor only from where the caller read it: of two racing runs one delivers', async () => {
        const executionId = randomUUID();
        expect(await maintenance.advanceDigestCursor('d', undefined, new Date('2026-03-01T00:00:00Z'), executionId)).toBe(true);
        expect(await maintenance.advanceDigestCursor('d', undefined, new Date('2026-03-01T00:00:00Z'), executionId)).toBe(false);
        expect(await maintenance.advanceDigestCursor('d', new Date('2026-03-01T00:00:00Z'), new Date('2026-03-02T00:00:00Z'), executionId)).toBe(true);
        expect(await maintenance.advanceDigestCursor('d', new Date('2026-03-01T00:00:00Z'), new Date('2026-03-03T00:00:00Z'), executionId)).toBe(false);
        expect(await maintenance.getDigestCursor('d')).toEqual(new Date('2026-03-02T00:00:00Z'));
      });

      it('lists the newest items up to the limit while totals and groups cover the whole window', async () => {
        for (let n = 0; n < 5; n += 1) {
          await insertAdvancementEvent(sql, { sproutId: `s${n}`, from: 'seed', to: 'sprout', type: 'auto-advancement', at: `2026-03-01T0${n}:00:00Z` });
        }
        const content = await maintenance.collectDigest({ since: new Date('2026-03-01T00:00:00Z'), until: new Date('2026-03-02T00:00:00Z') }, ['advancements'], 2);

        // (since, until]: the event exactly at `since` belongs to the previous digest.
        expect(content.advancements).toMatchObject({ total: 4, truncated: true, byTransition: [{ fromTier: 'seed', toTier: 'sprout', count: 4 }] });
        expect(content.advancements?.items.map((a) => a.sproutId)).toEqual(['s4', 's3']);
      });
    });

    describe('orphan-cleanup', () => {
      const now = new Date('2026-06-01T00:00:00Z');

      async function seedCleanup() {
        await sql.query({
          name: 'test-maintenance-sprouts',
          text: `insert into sprouts (id, title, tier, created_at, updated_at) values ('alive', 'Alive', 'seed', $1::timestamptz, $1::timestamptz)`,
          values: [now],
        });
        await sql.query({
          name: 'test-maintenance-events',
          text: `insert into sprout_usage_events (sprout_id, event_type, session_id, lens_id, metadata, created_at)
                 select case when n % 2 = 0 then 'alive' else 'gone-' || n end, 'viewed', 'session-' || n, 'lens-1', jsonb_build_object('n', n),
                        '2026-05-01T00:00:00Z'::timestamptz + n * interval '1 minute'
                   from generate_series(1, 10) n`,
        });
        await insertConfig(sql, 'nightly');
        const old = [] as string[];
        for (let n = 0; n < 3; n += 1) {
          old.push(await insertExecution(sql, { configId: 'nightly', status: n === 0 ? 'failed' : 'success', queuedAt: `2026-01-0${n + 1}T02:00:00Z`, finishedAt: `2026-01-0${n + 1}T02:00:10Z`, logs: 2 }));
        }
        // Old, but not history yet: queued and running executions are never touched.
        const queued = await insertExecution(sql, { configId: 'nightly', status: 'queued', queuedAt: '2026-01-05T02:00:00Z' });
        const running = await insertExecution(sql, { configId: 'nightly', status: 'running', queuedAt: '2026-01-06T02:00:00Z', logs: 1 });
        // Finished, but within the 90 days.
        const recent = await insertExecution(sql, { configId: 'nightly', status: 'failed', queuedAt: '2026-05-20T02:00:00Z', finishedAt: '2026-05-20T02:00:10Z', logs: 1 });
        return { old, queued, running, recent };
      }

      async function snapshot() {
        return {
          events: await count(sql, 'sprout_usage_events'),
          executions: await count(sql, 'executions'),
          logs: await count(sql, 'execution_logs'),
          archived: await count(sql, 'archived_rows'),
        };
      }

      it('counts only on a dry run and changes nothing', async () => {
        await seedCleanup();
        const before = await snapshot();
        const { context } = aContext(orphanCleanupParameters.parse({ dryRun: true }), { config: aConfig('cleanup'), now, dryRun: true });

        const outcome = await executeOrphanCleanup({ maintenance }, context);

        expect(outcome.result).toMatchObject({ dryRun: true, cutoff: '2026-03-03T00:00:00.000Z', wouldArchive: { usageEvents: 5, executions: 3, executionLogs: 6 } });
        expect(outcome.summary).toBe('dry run: would archive 5 orphaned usage event(s), 3 execution(s) with 6 log line(s)');
        expect(await snapshot()).toEqual(before);
      });

      it('archives orphaned usage events and old execution history whole, in pages, and deletes them from their tables', async () => {
        const { old, queued, running, recent } = await seedCleanup();
        const executionId = randomUUID();
        const { context, progress } = aContext(orphanCleanupParameters.parse({}), { config: aConfig('cleanup'), now, batchSize: 2, executionId });

        const outcome = await executeOrphanCleanup({ maintenance }, context);

        // 5 orphaned events in pages of 2 (3 pages), then 3 executions in pages of 2 (2 pages).
        expect(outcome.result).toMatchObject({ dryRun: false, archived: { usageEvents: 5, executions: 3, executionLogs: 6 }, pages: 5 });
        expect(outcome.items).toEqual({ total: 8, processed: 8, succeeded: 8, failed: 0 });
        expect(progress.map((p) => p.processed)).toEqual([2, 4, 5, 7, 8]);
        expect(await count(sql, 'sprout_usage_events', `sprout_id <> 'alive'`)).toBe(0);
        expect(await count(sql, 'sprout_usage_events', `sprout_id = 'alive'`)).toBe(5);
        const left = await sql.query<{ id: string }>({ name: 'test-maintenance-left', text: 'select id::text as id from executions order by queued_at' });
        expect(left.map((r) => r.id)).toEqual([queued, running, recent]);
        expect(await count(sql, 'execution_logs')).toBe(2);

        const archived = await sql.query<{ source_table: string; source_id: string; row_data: Record<string, unknown>; execution_id: string; reason: string; archived_at: Date }>({
          name: 'test-maintenance-archived',
          text: `select source_table, source_id, row_data, execution_id::text as execution_id, reason, archived_at from archived_rows order by id`,
        });
        expect(archived).toHaveLength(5 + 3 + 6);
        for (const row of archived) {
          expect(row.execution_id).toBe(executionId);
          expect(new Date(row.archived_at)).toEqual(now);
        }
        const events = archived.filter((r) => r.source_table === 'sprout_usage_events');
        expect(events.map((r) => r.row_data['sprout_id'])).toEqual(['gone-1', 'gone-3', 'gone-5', 'gone-7', 'gone-9']);
        expect(events[0]).toMatchObject({ reason: 'orphaned-usage-event', row_data: { event_type: 'viewed', session_id: 'session-1', lens_id: 'lens-1', metadata: { n: 1 } } });
        expect(events.every((r) => String(r.row_data['id']) === r.source_id)).toBe(true);
        const executions = archived.filter((r) => r.source_table === 'executions');
        expect(executions.map((r) => r.source_id).sort()).toEqual([...old].sort());
        expect(executions.find((r) => r.source_id === old[0])).toMatchObject({ reason: 'execution-retention', row_data: { config_id: 'nightly', status: 'failed', attempt: 1 } });
        const logs = archived.filter((r) => r.source_table === 'execution_logs');
        expect(logs).toHaveLength(6);
        expect(new Set(logs.map((r) => r.row_data['execution_id']))).toEqual(new Set(old));

        // Safe to re-run: nothing left to archive.
        const rerun = aContext(orphanCleanupParameters.parse({}), { config: aConfig('cleanup'), now, batchSize: 2 });
        expect((await executeOrphanCleanup({ maintenance }, rerun.context)).summary).toBe('nothing to archive');
        expect(await count(sql, 'archived_rows')).toBe(14);
      });

      it('cleans only the entity types asked for', async () => {
        await seedCleanup();
        const { context } = aContext(orphanCleanupParameters.parse({ entityTypes: ['executions'], orphanThresholdDays: 200 }), { config: aConfig('cleanup'), now });

        const outcome = await executeOrphanCleanup({ maintenance }, context);

        // 200 days before 2026-06-01 is 2025-11-13: nothing is that old.
        expect(outcome.result).toMatchObject({ cutoff: '2025-11-13T00:00:00.000Z', archived: { usageEvents: 0, executions: 0, executionLogs: 0 } });
        expect(await count(sql, 'sprout_usage_events')).toBe(10);
      });
    });

    describe('health-check', () => {
      /** The health check with a real clock: clock skew is measured against the database's. */
      const realNow = () => new Date();

      async function aDataDir(): Promise<string> {
        const dir = await mkdtemp(join(tmpdir(), 'grove-health-'));
        onTestFinished(() => rm(dir, { recursive: true, force: true }));
        return dir;
      }

      it('reports a failing api check as critical, an unconfigured rag check as skipped, alerts only at the threshold, and ends partial', async () => {
        const api = await startHttpReceiver((_request, response) => response.writeHead(503).end('down'));
        const hooks = await startHttpReceiver((_request, response) => response.writeHead(200).end());
        const { notifier, lines } = aNotifier();
        const deps: HealthCheckDeps = { maintenance, notifier, dataDir: await aDataDir() };
        const config = aConfig('health', { channels: ['log', 'webhook'], webhookUrl: hooks.url, webhookSecret: SECRET });
        const { context } = aContext(healthCheckParameters.parse({ apiUrl: `${api.url}/healthz?key=k3y-in-query` }), { config, now: realNow });

        const outcome = await executeHealthCheck(deps, context);
        await notifier.flush();

        const checks = (outcome.result?.['checks'] ?? []) as Array<{ name: string; status: string; latencyMs: number | null; message: string; details: Record<string, unknown> }>;
        expect(checks.map((c) => c.name)).toEqual(['database', 'storage', 'api', 'rag']);
        const [database, storage, apiCheck, rag] = checks;
        expect(database).toMatchObject({ status: 'ok', details: { migrations: { pending: [], changed: [], unknown: [] } } });
        expect(database?.latencyMs).toBeGreaterThanOrEqual(0);
        expect(storage?.status).not.toBe('skipped');
        expect(storage?.details).toMatchObject({ freeBytes: expect.any(Number), totalBytes: expect.any(Number) });
        expect(apiCheck).toMatchObject({ status: 'critical', message: `GET ${api.url}/healthz → 503, expected 2xx`, details: { status: 503 } });
        expect(apiCheck?.latencyMs).toBeGreaterThanOrEqual(0);
        expect(rag).toEqual({ name: 'rag', status: 'skipped', latencyMs: null, message: "not configured: set the 'ragUrl' parameter", details: {} });
        expect(JSON.stringify(outcome)).not.toContain('k3y-in-query');
        // Items: three checks ran, one critical → the engine records the run as partial.
        expect(outcome.items).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
        expect(outcome.summary).toMatch(/^database ok, storage (ok|warning|critical), api critical, rag skipped$/);

        expect(hooks.requests).toHaveLength(1);
        const [request] = hooks.requests as [Received];
        expect(verifySignature(request.body, SECRET, request.headers['x-grove-signature'])).toBe(true);
        const alert = JSON.parse(request.body.toString('utf8')) as HealthAlertNotification;
        expect(alert).toMatchObject({ kind: 'health.alert', configId: 'health', threshold: 'critical', worst: 'critical', executionId: context.executionId });
        expect(alert.checks.map((c) => c.name)).toEqual(storage?.status === 'critical' ? ['storage', 'api'] : ['api']);
        expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'error', kind: 'health.alert', worst: 'critical' });
      });

      it('skips storage on a store without a data folder and reports every unselected check as skipped, never as passed', async () => {
        const { notifier, lines } = aNotifier();
        const { context } = aContext(healthCheckParameters.parse({ checks: ['storage'] }), { config: aConfig('health'), now: realNow });

        const outcome = await executeHealthCheck({ maintenance, notifier }, context);

        const checks = outcome.result?.['checks'] as Array<{ name: string; status: string; message: string }>;
        expect(checks.map((c) => [c.name, c.status])).toEqual([
          ['database', 'skipped'],
          ['storage', 'skipped'],
          ['api', 'skipped'],
          ['rag', 'skipped'],
        ]);
        expect(checks[1]?.message).toMatch(/PostgreSQL server/);
        expect(outcome.items).toEqual({ total: 0, processed: 0, succeeded: 0, failed: 0 });
        expect(outcome.result).toMatchObject({ worst: 'skipped', alerted: false, counts: { ok: 0, skipped: 4 } });
        expect(lines).toEqual([]);
      });

      it('finds pending migrations and clock skew critical, and every check failing makes the run failed', async () => {
        await sql.query({ name: 'test-maintenance-unapply', text: `delete from grove_migrations where version = (select max(version) from grove_migrations)` });
        const { notifier, lines } = aNotifier();
        // The process clock ten minutes ahead of the database's.
        const { context } = aContext(healthCheckParameters.parse({ checks: ['database'], alertThreshold: 'warning' }), {
          config: aConfig('health'),
          now: () => new Date(realNow().getTime() + 600_000),
        });

        const outcome = await executeHealthCheck({ maintenance, notifier }, context);

        const [database] = outcome.result?.['checks'] as Array<{ status: string; message: string; details: { clockSkewMs: number; migrations: { pending: string[] } } }>;
        expect(database?.status).toBe('critical');
        expect(database?.details.migrations.pending).toHaveLength(1);
        expect(database?.details.clockSkewMs).toBeLessThan(-590_000);
        expect(database?.message).toMatch(/clock skew -\d+ ms \(database behind\); 1 pending migration/);
        expect(outcome.items).toEqual({ total: 1, processed: 1, succeeded: 0, failed: 1 });
        expect(JSON.parse(lines[0] ?? '')).toMatchObject({ kind: 'health.alert', threshold: 'warning', checks: [{ name: 'database', status: 'critical' }] });
      });

      it('reports an api that does not answer within the timeout as critical', async () => {
        const api = await startHttpReceiver(() => undefined);
        const { notifier } = aNotifier();
        const { context } = aContext(healthCheckParameters.parse({ checks: ['api'], apiUrl: api.url, timeoutMs: 200 }), { config: aConfig('health', { channels: [] }), now: realNow });

        const outcome = await executeHealthCheck({ maintenance, notifier }, context);

        const api0 = (outcome.result?.['checks'] as Array<{ name: string; status: string; message: string }>)[2];
        expect(api0).toMatchObject({ name: 'api', status: 'critical', message: `GET ${api.url}/ failed: no answer within 200 ms` });
        expect(outcome.result).toMatchObject({ alerted: false });
      });
    });
  });
}
