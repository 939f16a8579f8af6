import { describe, expect, it } from 'vitest';
import { reportEngineErrors } from '../../src/cli/worker.js';
import { EngineEvents, type EngineEventMap } from '../../src/engine/events.js';

const at = (time: string) => new Date(`2026-12-07T03:${time}Z`);
const scheduler = { source: 'scheduler', id: 'scheduler:a' } as const;
const worker = { source: 'worker', id: 'worker:a' } as const;

function recorded() {
  const events = new EngineEvents();
  const outages: Array<EngineEventMap['engine:outage']> = [];
  let errors = 0;
  events.on('engine:outage', (outage) => outages.push(outage));
  events.on('engine:error', () => errors++);
  return { events, outages, errors: () => errors };
}

describe('outages', () => {
  it('start at the first failed call and end at the first call back, once each however many loops retry between', () => {
    const { events, outages, errors } = recorded();
    events.storeFailed(scheduler, new Error('connect ECONNREFUSED'), at('00:00'), at('00:00'));
    events.storeFailed(worker, new Error('connect ECONNREFUSED'), at('00:00.1'), at('00:00.2'));
    for (let retry = 1; retry <= 5; retry++) events.storeFailed(scheduler, new Error('connect ECONNREFUSED'), at(`00:0${retry}`), at(`00:0${retry}`));
    events.storeReached(worker, at('00:20.5'));
    events.storeReached(scheduler, at('00:21'));
    expect(errors()).toBe(7);
    expect(outages).toEqual([
      { ...scheduler, state: 'started', at: at('00:00'), message: 'connect ECONNREFUSED' },
      { ...worker, state: 'ended', at: at('00:20.5'), startedAt: at('00:00'), durationMs: 20_500 },
    ]);
  });

  it('take a call begun before the last outage ended and failing after it for a straggler of that outage, and a later failure for a new one', () => {
    const { events, outages } = recorded();
    events.storeFailed(scheduler, new Error('gone'), at('00:00'), at('00:00'));
    events.storeReached(scheduler, at('00:10'));
    events.storeFailed(worker, new Error('gone'), at('00:09.9'), at('00:10.1'));
    expect(outages.map((o) => o.state)).toEqual(['started', 'ended']);
    events.storeFailed(worker, new Error('gone again'), at('01:00'), at('01:00'));
    expect(outages.map((o) => o.state)).toEqual(['started', 'ended', 'started']);
  });

  it('are logged by worker, start and serve as one entry when they start and one when they end', () => {
    const events = new EngineEvents();
    const entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
    const log = {
      error: (fields: Record<string, unknown>, message: string) => void entries.push({ level: 'error', fields, message }),
      warn: (fields: Record<string, unknown>, message: string) => void entries.push({ level: 'warn', fields, message }),
    };
    const off = reportEngineErrors({ events }, log);
    for (let retry = 0; retry < 4; retry++) events.storeFailed(scheduler, new Error('connect ECONNREFUSED 127.0.0.1:5432'), at(`00:0${retry}`), at(`00:0${retry}`));
    events.storeReached(worker, at('00:21.25'));
    off();
    events.storeFailed(scheduler, new Error('not printed'), at('02:00'), at('02:00'));
    expect(entries).toEqual([
      {
        level: 'error',
        fields: { event: 'store:unreachable', source: 'scheduler', id: 'scheduler:a', at: '2026-12-07T03:00:00.000Z', error: 'connect ECONNREFUSED 127.0.0.1:5432' },
        message: 'store out of reach (scheduler scheduler:a: connect ECONNREFUSED 127.0.0.1:5432); trying again every few seconds',
      },
      {
        level: 'warn',
        fields: { event: 'store:reached', source: 'worker', id: 'worker:a', at: '2026-12-07T03:00:21.250Z', durationMs: 21_250, since: '2026-12-07T03:00:00.000Z' },
        message: 'store reached again by worker worker:a after 21.3 s (out of reach since 2026-12-07T03:00:00.000Z)',
      },
    ]);
  });
});
