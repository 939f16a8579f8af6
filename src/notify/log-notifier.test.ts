import { describe, expect, it } from 'vitest';
import type { Notification } from '../engine/ports.js';
import { createLogNotifier, type NotificationLogger } from './log-notifier.js';

const SECRET = 'whsec-log-notifier-secret';

function aFailure(overrides: Partial<Notification> = {}): Notification {
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

/** A logger that records each entry with its level. */
function recordingLogger() {
  const entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void entries.push({ level, fields, message });
  const logger: NotificationLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

describe('the log notifier given a logger', () => {
  it('logs one entry at the notification\'s level, with the fields of its JSON line and a sentence, without the secret or url', () => {
    const { logger, entries } = recordingLogger();
    createLogNotifier(logger).notify(aFailure());
    expect(entries).toEqual([
      {
        level: 'warn',
        fields: {
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
        },
        message: 'nightly-advancement: execution exec-1 ended failed (attempt 3): connection refused',
      },
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/whsec|T0K3N/);
  });

  it.each([
    ['execution.success', 'info', 'nightly-advancement: execution exec-1 succeeded (attempt 3)'],
    ['config.paused', 'error', 'nightly-advancement: paused after 2 failed runs in a row'],
  ] as const)('logs %s at %s', (kind, level, message) => {
    const { logger, entries } = recordingLogger();
    createLogNotifier(logger).notify(aFailure({ kind }));
    expect(entries).toMatchObject([{ level, message }]);
  });
});
