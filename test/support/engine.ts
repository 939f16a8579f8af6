import { afterAll, afterEach, beforeEach } from 'vitest';
import { z } from 'zod';
import { createGroveJobs, type GroveJobs } from '../../src/app.js';
import { defineJobType, type JobContext } from '../../src/domain/config/index.js';
import type { ExecutionRecord, Notification, Notifier, Store } from '../../src/engine/ports.js';
import type { Sql } from '../../src/store/sql.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { FakeClock } from './fake-clock.js';
import type { SqlFactory } from './test-store.js';

/** What a scenario's handlers do, decided per test. */
export type Behaviour = (context: JobContext<{ mode: string }>) => Promise<{ summary?: string; items?: { total?: number; processed?: number; succeeded?: number; failed?: number } } | void>;

export interface Scenario {
  system: GroveJobs;
  clock: FakeClock;
  notifications: Notification[];
  setBehaviour(behaviour: Behaviour): void;
}

/**
 * A system on a FakeClock with a `scenario-job` type whose handler the test controls;
 * `wrapStore` may stand between the engine and the store (to make a write fail, say).
 */
export function makeScenario(sql: Sql, start = '2026-11-23T10:00:00Z', wrapStore: (store: Store) => Store = (store) => store): Scenario {
  const clock = new FakeClock(start);
  const notifications: Notification[] = [];
  let behaviour: Behaviour = async () => ({ summary: 'ok' });
  const notifier: Notifier = { notify: (n) => void notifications.push(n), flush: async () => undefined };
  const scenarioJob = defineJobType({
    name: 'scenario-job',
    description: 'A job whose behaviour each test sets',
    parameters: z.strictObject({ mode: z.string().default('normal'), dryRun: z.boolean().default(false) }),
    execute: (context) => behaviour(context),
  });
  const system = createGroveJobs({ clock, store: wrapStore(createSqlStore(sql)), jobTypes: [scenarioJob], notifier });
  return {
    system,
    clock,
    notifications,
    setBehaviour: (b) => {
      behaviour = b;
    },
  };
}

/** A config input for the scenario job type. */
export function scenarioConfig(id: string, schedule: Record<string, unknown>, sections: Record<string, Record<string, unknown>> = {}) {
  return {
    meta: { id },
    payload: {
      jobType: 'scenario-job',
      schedule: { isEnabled: true, timezone: 'UTC', ...schedule },
      retry: { maxAttempts: 1, backoffStrategy: 'fixed', initialDelaySeconds: 0, maxDelaySeconds: 0, ...sections['retry'] },
      limits: { batchSize: 100, timeoutSeconds: 600, maxConcurrent: 1, ...sections['limits'] },
      ...(sections['notifications'] ? { notifications: sections['notifications'] } : {}),
      ...(sections['parameters'] ? { parameters: sections['parameters'] } : {}),
    },
  };
}

/** Resolves once `count` executions matching `predicate` have finished (counting from now). */
export function finishedCount(system: GroveJobs, count: number, predicate: (e: ExecutionRecord) => boolean = () => true): Promise<ExecutionRecord[]> {
  const seen: ExecutionRecord[] = [];
  return new Promise((resolve) => {
    if (count === 0) resolve(seen);
    const off = system.events.on('execution:finished', (execution) => {
      if (!predicate(execution)) return;
      seen.push(execution);
      if (seen.length >= count) {
        off();
        resolve(seen);
      }
    });
  });
}

/**
 * For a describe block: a fresh schema per test, and `scenario(start)` making systems on it
 * that are closed after the test (several over one schema act as several processes).
 */
export function scenariosPerTest(factory: SqlFactory, defaultStart: string): { scenario: (start?: string) => Scenario; sql: () => Sql } {
  let sql: Sql;
  const opened: Scenario[] = [];
  beforeEach(async () => {
    sql = await factory.make();
  });
  afterEach(async () => {
    for (const made of opened.splice(0).reverse()) await made.system.close({ graceMs: 0 });
  });
  afterAll(() => factory.dispose());
  return {
    scenario: (start = defaultStart) => {
      const made = makeScenario(sql, start);
      opened.push(made);
      return made;
    },
    sql: () => sql,
  };
}
