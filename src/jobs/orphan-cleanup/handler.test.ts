import { describe, expect, it } from 'vitest';
import { JobTypeRegistry, validateJobConfig } from '../../domain/config/index.js';
import type { MaintenanceStore } from '../../engine/ports.js';
import { orphanCleanupJobType, orphanCleanupParameters } from './index.js';

// Handler behaviour against a real database (PGlite and PostgreSQL): test/grove/maintenance.suite.ts.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) });
const jobType = orphanCleanupJobType({ maintenance: unused as MaintenanceStore });

describe('the orphan-cleanup job type', () => {
  it('defaults to both entity types, 90 days and no dry run, and validates as a config', () => {
    expect(jobType.name).toBe('orphan-cleanup');
    const managed = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', createdBy: 't', updatedBy: 't' };
    const config = validateJobConfig({ meta: { id: 'cleanup' }, payload: { jobType: 'orphan-cleanup' } }, new JobTypeRegistry([jobType]), managed);
    expect(config.payload.parameters).toEqual({ entityTypes: ['usage-events', 'executions'], orphanThresholdDays: 90, dryRun: false });
  });

  it.each([
    ['an unknown entity type', { entityTypes: ['sprouts'] }, 'entityTypes.0'],
    ['no entity type', { entityTypes: [] }, 'entityTypes'],
    ['a threshold of 0 days', { orphanThresholdDays: 0 }, 'orphanThresholdDays'],
    ['a fractional threshold', { orphanThresholdDays: 0.5 }, 'orphanThresholdDays'],
    ['a dry run given as a string', { dryRun: 'yes' }, 'dryRun'],
  ])('refuses %s, naming the field', (_case, parameters, path) => {
    const result = orphanCleanupParameters.safeParse(parameters);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
