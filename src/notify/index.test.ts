import { describe, expect, it } from 'vitest';
import type { Notification, Notifier } from '../engine/ports.js';
import { createLogNotifier, createNotifier } from './index.js';

const SECRET = 'whsec-0123456789abcdef';

function aNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: 'execution.failure',
    at: '2026-01-01T03:00:05.000Z',
    configId: 'nightly-advancement',
    configVersion: 7,
    displayName: 'Nightly advancement',
    execution: {
      id: 'exec-1',
      status: 'failed',
      trigger: 'schedule',
      attempt: 3,
      slot: '2026-01-01T03:00:00.000Z',
      startedAt: '2026-01-01T03:00:00.000Z',
      finishedAt: '2026-01-01T03:00:05.000Z',
      durationMs: 5000,
      itemsProcessed: 40,
      itemsFailed: 40,
      error: { message: 'connection refused' },
    },
    consecutiveFailures: 2,
    channels: ['log', 'webhook'],
    webhookUrl: 'https://hooks.example.test/T0K3N',
    webhookSecret: SECRET,
    ...overrides,
  };
}

describe('the log notifier', () => {
  it('writes one JSON line with the execution facts and neither the webhook secret nor its url', () => {
    const lines: string[] = [];
    createLogNotifier((line) => lines.push(line)).notify(aNotification());

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain('T0K3N');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'warn',
      event: 'notification',
      kind: 'execution.failure',
      at: '2026-01-01T03:00:05.000Z',
      configId: 'nightly-advancement',
      configVersion: 7,
      displayName: 'Nightly advancement',
      executionId: 'exec-1',
      status: 'failed',
      trigger: 'schedule',
      attempt: 3,
      slot: '2026-01-01T03:00:00.000Z',
      durationMs: 5000,
      error: 'connection refused',
      consecutiveFailures: 2,
    });
  });

  it.each([
    ['execution.success', 'info'],
    ['execution.failure', 'warn'],
    ['config.paused', 'error'],
  ] as const)('logs %s at level %s', (kind, level) => {
    const lines: string[] = [];
    createLogNotifier((line) => lines.push(line)).notify(aNotification({ kind }));

    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ kind, level });
  });

  it('leaves out the error and the failure count of a success that has none', () => {
    const lines: string[] = [];
    const success = aNotification({ kind: 'execution.success', consecutiveFailures: undefined });
    createLogNotifier((line) => lines.push(line)).notify({ ...success, execution: { ...success.execution, status: 'success', error: null } });

    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(line).not.toHaveProperty('error');
    expect(line).not.toHaveProperty('consecutiveFailures');
  });
});

/** A channel that records what it was given and whether it was flushed. */
function aRecordingChannel() {
  const received: Notification[] = [];
  let flushes = 0;
  const channel: Notifier = {
    notify: (notification) => void received.push(notification),
    flush: async () => {
      flushes += 1;
    },
  };
  return { channel, received, flushes: () => flushes };
}

describe('createNotifier', () => {
  it.each([
    [['log', 'webhook'], 1, 1],
    [['log'], 1, 0],
    [['webhook'], 0, 1],
    [[], 0, 0],
  ] as const)('routes a notification with channels %j: %i to the log, %i to the webhook', (channels, toLog, toWebhook) => {
    const log = aRecordingChannel();
    const webhook = aRecordingChannel();

    createNotifier({ log: log.channel, webhook: webhook.channel }).notify(aNotification({ channels }));

    expect(log.received).toHaveLength(toLog);
    expect(webhook.received).toHaveLength(toWebhook);
  });

  it('drops what would go to a channel it was not given', () => {
    const log = aRecordingChannel();

    createNotifier({ log: log.channel }).notify(aNotification({ channels: ['log', 'webhook'] }));

    expect(log.received).toHaveLength(1);
  });

  it('flushes every channel', async () => {
    const log = aRecordingChannel();
    const webhook = aRecordingChannel();

    await createNotifier({ log: log.channel, webhook: webhook.channel }).flush();

    expect([log.flushes(), webhook.flushes()]).toEqual([1, 1]);
  });
});
