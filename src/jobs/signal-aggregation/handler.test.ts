import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { pgliteFactory } from '../../../test/support/test-store.js';
import type { JobConfig, JobContext, JobProgress, LogLevel } from '../../domain/config/index.js';
import { JobTypeRegistry, validateJobConfig } from '../../domain/config/index.js';
import { createAggregationStore } from '../../store/grove/aggregation.js';
import type { Sql } from '../../store/sql.js';
import { executeSignalAggregation, signalAggregationJobType, signalAggregationParameters, type SignalAggregationParameters } from './index.js';

interface LogLine {
  level: LogLevel;
  message: string;
  data?: Record<string, unknown>;
}

const NOW = new Date('2026-03-10T00:00:00Z');

function aContext(parameters: Record<string, unknown>, overrides: Partial<JobContext<SignalAggregationParameters>> = {}) {
  const logs: LogLine[] = [];
  const progress: JobProgress[] = [];
  const controller = new AbortController();
  const context: JobContext<SignalAggregationParameters> = {
    executionId: 'exec-7',
    config: { meta: { id: 'signal-aggregation-7d' } } as unknown as JobConfig,
    parameters: signalAggregationParameters.parse(parameters),
    slot: NOW,
    attempt: 1,
    batchSize: 1000,
    dryRun: false,
    signal: controller.signal,
    now: () => NOW,
    log: (level, message, data) => void logs.push({ level, message, ...(data ? { data } : {}) }),
    progress: (p) => void progress.push(p),
    ...overrides,
  };
  return { context, logs, progress, controller };
}

describe('the signal-aggregation job type', () => {
  it('defaults to every period, incrementally, and accepts what the default configs set', () => {
    expect(signalAggregationParameters.parse({})).toEqual({ periods: ['all_time', 'last_30d', 'last_7d'], full: false });
    expect(signalAggregationParameters.parse({ periods: ['last_7d'], full: false })).toEqual({ periods: ['last_7d'], full: false });

    const type = signalAggregationJobType({ signals: createAggregationStore({} as Sql) });
    expect(type.name).toBe('signal-aggregation');
    const registry = new JobTypeRegistry([type]);
    const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };
    const config = validateJobConfig(
      { meta: { id: 'agg' }, payload: { jobType: 'signal-aggregation', schedule: { cronExpression: '0 * * * *' }, parameters: { periods: ['last_7d'] } } },
      registry,
      managed,
    );
    expect(config.payload.parameters).toEqual({ periods: ['last_7d'], full: false });
  });

  it.each([
    ['no period', { periods: [] }, 'periods', 'at least one'],
    ['an unknown period', { periods: ['last_90d'] }, 'periods.0', 'one of all_time, last_30d, last_7d'],
    ['a period twice', { periods: ['last_7d', 'last_7d'] }, 'periods', 'twice'],
    ['a full flag that is not a boolean', { full: 'yes' }, 'full', ''],
    ['an unknown parameter', { dryRun: true }, '', 'dryRun'],
  ])('refuses %s, naming the field', (_case, parameters, path, message) => {
    const result = signalAggregationParameters.safeParse(parameters);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.') === path);
    expect(issue).toBeDefined();
    expect(`${issue?.message} ${JSON.stringify(issue)}`).toContain(message);
  });
});

describe('the signal-aggregation handler', () => {
  const factory = pgliteFactory();
  let sql: Sql;

  beforeEach(async () => {
    sql = await factory.make();
    await sql.exec(`
      insert into sprouts (id, title, tier, created_at, updated_at)
      values ('a', 'A', 'seed', '2026-01-01Z', '2026-01-01Z'), ('b', 'B', 'seed', '2026-01-01Z', '2026-01-01Z');
      insert into sprout_usage_events (sprout_id, event_type, session_id, created_at)
      values ('a', 'viewed', 's1', '2026-03-09Z'), ('a', 'viewed', 's2', '2026-02-20Z'), ('b', 'rated_up', 's1', '2026-01-05Z');`);
  });
  afterAll(() => factory.dispose());

  it('refreshes each period as of the run’s clock time, with a log line and progress per period', async () => {
    const store = createAggregationStore(sql);
    const { context, logs, progress } = aContext({ periods: ['last_7d', 'all_time'] });

    const outcome = await executeSignalAggregation({ signals: store }, context);

    expect(logs.map((l) => l.message)).toEqual([
      'last_7d: full, 2 sprouts recomputed, 2 rows written, 0 removed',
      'all_time: full, 2 sprouts recomputed, 2 rows written, 0 removed',
    ]);
    expect(logs[0]?.data).toMatchObject({ period: 'last_7d', mode: 'full', sproutsRecomputed: 2 });
    expect(progress).toEqual([
      { processed: 2, succeeded: 2, failed: 0 },
      { processed: 4, succeeded: 4, failed: 0 },
    ]);
    expect(outcome).toMatchObject({
      summary: 'last_7d full (2 sprouts), all_time full (2 sprouts)',
      result: { asOf: '2026-03-10T00:00:00.000Z', dryRun: false },
      items: { total: 4, processed: 4, succeeded: 4, failed: 0 },
    });
    const rows = await store.getSignals(['a', 'b']);
    expect(rows.map((r) => [r.sproutId, r.period, r.viewCount, r.upvotes, r.computedAt])).toEqual([
      ['a', 'all_time', 2, 0, '2026-03-10T00:00:00.000Z'],
      ['a', 'last_7d', 1, 0, '2026-03-10T00:00:00.000Z'],
      ['b', 'all_time', 0, 1, '2026-03-10T00:00:00.000Z'],
      ['b', 'last_7d', 0, 0, '2026-03-10T00:00:00.000Z'],
    ]);

    const again = await executeSignalAggregation({ signals: store }, aContext({ periods: ['last_7d'] }).context);
    expect(again.summary).toBe('last_7d incremental (0 sprouts)');
    const forced = await executeSignalAggregation({ signals: store }, aContext({ periods: ['last_7d'], full: true }).context);
    expect(forced.summary).toBe('last_7d full (2 sprouts)');
  });

  it('writes nothing on a dry run and says so', async () => {
    const store = createAggregationStore(sql);
    const { context, logs } = aContext({}, { dryRun: true });

    const outcome = await executeSignalAggregation({ signals: store }, context);

    expect(outcome.summary).toBe('dry run, nothing written: all_time full (2 sprouts), last_30d full (2 sprouts), last_7d full (2 sprouts)');
    expect(logs[0]?.message).toBe('dry run (rolled back): all_time: full, 2 sprouts recomputed, 2 rows written, 0 removed');
    expect(await store.getSignals(['a', 'b'])).toEqual([]);
  });

  it('stops between periods when the signal fires, keeping the periods already done', async () => {
    const store = createAggregationStore(sql);
    const reason = new Error('cancelled');
    const { context, controller } = aContext({}, {});
    context.progress = () => controller.abort(reason);

    await expect(executeSignalAggregation({ signals: store }, context)).rejects.toBe(reason);

    const rows = await store.getSignals(['a', 'b']);
    expect(rows.map((r) => r.period)).toEqual(['all_time', 'all_time']);
  });
});
