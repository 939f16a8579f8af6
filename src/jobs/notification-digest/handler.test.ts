import { describe, expect, it } from 'vitest';
import { JobTypeRegistry, validateJobConfig } from '../../domain/config/index.js';
import type { MaintenanceStore, Notifier } from '../../engine/ports.js';
import { notificationDigestJobType, notificationDigestParameters } from './index.js';

// Handler behaviour against a real database (PGlite and PostgreSQL): test/grove/maintenance.suite.ts.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) });
const jobType = notificationDigestJobType({ maintenance: unused as MaintenanceStore, notifier: unused as Notifier });

describe('the notification-digest job type', () => {
  it('defaults to every section, no recipients and a 24-hour first lookback, and validates as a config', () => {
    expect(jobType.name).toBe('notification-digest');
    const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };
    const config = validateJobConfig({ meta: { id: 'digest' }, payload: { jobType: 'notification-digest' } }, new JobTypeRegistry([jobType]), managed);
    expect(config.payload.parameters).toEqual({ eventTypes: ['failures', 'advancements', 'rollbacks'], recipientIds: [], lookbackHours: 24, sendWhenEmpty: false });
    expect(config.payload.schedule.cronExpression).toBe('0 8 * * *');
  });

  it.each([
    ['an unknown section', { eventTypes: ['failures', 'successes'] }, 'eventTypes.1'],
    ['no section', { eventTypes: [] }, 'eventTypes'],
    ['a repeated section', { eventTypes: ['failures', 'failures'] }, 'eventTypes'],
    ['an empty recipient', { recipientIds: ['ops', ' '] }, 'recipientIds.1'],
    ['a lookback of 0 hours', { lookbackHours: 0 }, 'lookbackHours'],
    ['a fractional lookback', { lookbackHours: 1.5 }, 'lookbackHours'],
    ['an unknown parameter', { lookback: 24 }, ''],
  ])('refuses %s, naming the field', (_case, parameters, path) => {
    const result = notificationDigestParameters.safeParse(parameters);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
