import { describe, expect, it } from 'vitest';
import {
  assessMigrations,
  estimateClockSkewMs,
  gradeAtLeast,
  gradeFreeSpace,
  gradeHttpProbe,
  type HealthCheckResult,
  type HealthStatus,
  isAtOrAbove,
  planHealthOutcome,
} from './health.js';

const GiB = 1024 ** 3;

describe('isAtOrAbove', () => {
  it.each([
    ['ok', 'warning', false],
    ['skipped', 'warning', false],
    ['warning', 'warning', true],
    ['critical', 'warning', true],
    ['warning', 'critical', false],
    ['critical', 'critical', true],
    ['skipped', 'critical', false],
  ] as const)('%s at threshold %s: %s', (status, threshold, expected) => {
    expect(isAtOrAbove(status, threshold)).toBe(expected);
  });
});

describe('grading', () => {
  it.each([
    [10, 'ok'],
    [250, 'warning'],
    [1999, 'warning'],
    [2000, 'critical'],
  ] as const)('a %i ms round trip is %s', (ms, expected) => {
    expect(gradeAtLeast(ms, 250, 2000)).toBe(expected);
  });

  it.each([
    ['half the volume free', 50 * GiB, 100 * GiB, 'ok'],
    ['10% free', 10 * GiB, 100 * GiB, 'warning'],
    ['4% free', 4 * GiB, 100 * GiB, 'critical'],
    ['a large share of a tiny volume', 200 * 1024 ** 2, 400 * 1024 ** 2, 'critical'],
    ['a volume of no size', 0, 0, 'critical'],
  ] as const)('free space: %s is %s', (_case, free, total, expected) => {
    expect(gradeFreeSpace(free, total)).toBe(expected);
  });

  it.each([
    [200, 10, 'ok'],
    [204, 3000, 'warning'],
    [503, 10, 'critical'],
    [302, 10, 'critical'],
    [undefined, 5000, 'critical'],
  ] as const)('an HTTP probe answering %s in %i ms (timeout 5000) is %s', (status, latencyMs, expected) => {
    expect(gradeHttpProbe({ status, latencyMs, timeoutMs: 5000 })).toBe(expected);
  });

  it('estimates clock skew against the middle of the round trip', () => {
    expect(estimateClockSkewMs({ processBefore: 1000, processAfter: 1100, databaseNow: 1250 })).toBe(200);
    expect(estimateClockSkewMs({ processBefore: 1000, processAfter: 1100, databaseNow: 1050 })).toBe(0);
  });
});

describe('assessMigrations', () => {
  const m = (version: number, checksum = `c${version}`) => ({ version, name: `000${version}_x.sql`, checksum });
  it.each([
    ['all applied', [m(1), m(2)], [m(1), m(2)], 'ok', [], [], []],
    ['one pending', [m(1)], [m(1), m(2)], 'critical', ['0002_x.sql'], [], []],
    ['one unknown to this process', [m(1), m(2), m(3)], [m(1), m(2)], 'warning', [], ['0003_x.sql'], []],
    ['one changed after it was applied', [m(1), m(2, 'old')], [m(1), m(2)], 'critical', [], [], ['0002_x.sql']],
  ] as const)('%s', (_case, applied, available, status, pending, unknown, changed) => {
    expect(assessMigrations({ applied, available })).toMatchObject({ status, pending, unknown, changed });
  });
});

describe('planHealthOutcome', () => {
  const check = (name: HealthCheckResult['name'], status: HealthStatus): HealthCheckResult => ({ name, status, latencyMs: status === 'skipped' ? null : 1, message: '', details: {} });

  it.each([
    ['all ok', ['ok', 'ok', 'skipped', 'skipped'], 'critical', [], 'ok', { total: 2, succeeded: 2, failed: 0 }],
    ['a warning, threshold warning', ['ok', 'warning', 'skipped', 'skipped'], 'warning', ['storage'], 'warning', { total: 2, succeeded: 2, failed: 0 }],
    ['a warning, threshold critical', ['ok', 'warning', 'skipped', 'skipped'], 'critical', [], 'warning', { total: 2, succeeded: 2, failed: 0 }],
    ['one critical (partial)', ['ok', 'ok', 'critical', 'skipped'], 'critical', ['api'], 'critical', { total: 3, succeeded: 2, failed: 1 }],
    ['all that ran critical (failed)', ['critical', 'skipped', 'skipped', 'skipped'], 'warning', ['database'], 'critical', { total: 1, succeeded: 0, failed: 1 }],
    ['all skipped: nothing passed', ['skipped', 'skipped', 'skipped', 'skipped'], 'warning', [], 'skipped', { total: 0, succeeded: 0, failed: 0 }],
  ] as const)('%s', (_case, statuses, threshold, alerts, worst, items) => {
    const names = ['database', 'storage', 'api', 'rag'] as const;
    const plan = planHealthOutcome(statuses.map((status, i) => check(names[i] ?? 'rag', status)), threshold);
    expect(plan.alerts.map((a) => a.name)).toEqual(alerts);
    expect(plan.worst).toBe(worst);
    expect(plan.items).toMatchObject(items);
  });
});
