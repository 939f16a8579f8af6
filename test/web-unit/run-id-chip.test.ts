import { describe, expect, it } from 'vitest';
import { validateStatusSpec } from '../../web/src/status-catalog/catalog.js';
import type { JobMetricRowProps } from '../../web/src/status-catalog/schemas.js';
import { type ExecutionInput, executionToRenderTree } from '../../web/src/status-catalog/transform.js';

const NOW = new Date('2026-11-23T10:00:30.000Z');
// Made in the same minute as another run: both start with 01a24e2b.
const ID = '01a24e2b-9f00-7b00-8000-00000000000b';

function anExecution(overrides: Partial<ExecutionInput> = {}): ExecutionInput {
  return {
    id: ID,
    status: 'success',
    trigger: 'manual',
    attempt: 1,
    queuedAt: '2026-11-23T10:00:00.000Z',
    startedAt: '2026-11-23T10:00:01.000Z',
    finishedAt: '2026-11-23T10:00:02.000Z',
    durationMs: 1000,
    items: { total: 1, processed: 1, succeeded: 1, failed: 0 },
    summary: null,
    error: null,
    ...overrides,
  };
}

const runChip = (execution: ExecutionInput) => {
  const spec = executionToRenderTree(execution, { now: NOW });
  expect(validateStatusSpec(spec).success).toBe(true);
  return (spec.elements['metrics']?.props as JobMetricRowProps).metrics.find((m) => m.key === 'run-id');
};

describe('the Run chip of the status view', () => {
  it('shows the prefix the API says no other execution starts with, and the whole id on hover', () => {
    expect(runChip(anExecution({ shortId: '01a24e2b-9' }))).toMatchObject({ label: 'Run', value: '01a24e2b-9', title: ID });
  });

  it('shows the whole id while only an event has named the run (no prefix known yet), never a shared 8-digit one', () => {
    expect(runChip(anExecution())).toMatchObject({ value: ID, title: ID });
  });
});
