import { describe, expect, it } from 'vitest';
import { type Received, startHttpReceiver } from '../../test/support/http-receiver.js';
import type { DigestNotification, HealthAlertNotification } from '../engine/ports.js';
import { createLogNotifier, createWebhookNotifier, verifySignature } from './index.js';

const SECRET = 'whsec-0123456789abcdef';

const aDigest = (overrides: Partial<DigestNotification> = {}): DigestNotification => ({
  kind: 'digest.ready',
  at: '2026-01-02T08:00:00.000Z',
  configId: 'daily-digest',
  configVersion: 2,
  displayName: 'Daily digest',
  executionId: 'exec-1',
  digest: {
    since: '2026-01-01T08:00:00.000Z',
    until: '2026-01-02T08:00:00.000Z',
    recipientIds: ['ops'],
    sections: ['failures', 'rollbacks'],
    failures: { total: 1, truncated: false, byConfig: [{ configId: 'nightly', count: 1 }], items: [{ executionId: 'e', configId: 'nightly', status: 'failed', attempt: 1, finishedAt: '2026-01-01T09:00:00.000Z', error: 'boom' }] },
    rollbacks: { total: 0, truncated: false, byOperator: [], items: [] },
  },
  channels: ['log', 'webhook'],
  webhookUrl: 'https://hooks.example.test/T0K3N',
  webhookSecret: SECRET,
  ...overrides,
});

const anAlert: HealthAlertNotification = {
  kind: 'health.alert',
  at: '2026-01-02T08:00:00.000Z',
  configId: 'health',
  configVersion: 1,
  displayName: 'Health',
  executionId: 'exec-2',
  threshold: 'warning',
  worst: 'warning',
  checks: [{ name: 'storage', status: 'warning', latencyMs: 1, message: '10% free', details: {} }],
  channels: ['log'],
  webhookSecret: SECRET,
};

describe('job reports on the log channel', () => {
  it('logs a digest as one line with the window and totals, without the webhook url or secret', () => {
    const lines: string[] = [];
    createLogNotifier((line) => lines.push(line)).notify(aDigest());

    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain('T0K3N');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'info',
      event: 'notification',
      kind: 'digest.ready',
      at: '2026-01-02T08:00:00.000Z',
      configId: 'daily-digest',
      configVersion: 2,
      displayName: 'Daily digest',
      executionId: 'exec-1',
      since: '2026-01-01T08:00:00.000Z',
      until: '2026-01-02T08:00:00.000Z',
      recipientIds: ['ops'],
      sections: ['failures', 'rollbacks'],
      failures: 1,
      rollbacks: 0,
    });
  });

  it('logs a health alert at warn when the worst check is a warning', () => {
    const lines: string[] = [];
    createLogNotifier((line) => lines.push(line)).notify(anAlert);

    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'warn', kind: 'health.alert', worst: 'warning', checks: [{ name: 'storage', status: 'warning', message: '10% free' }] });
    expect(lines[0]).not.toContain(SECRET);
  });
});

describe('job reports on the webhook channel', () => {
  it('posts a digest signed, with the digest and without the delivery settings', async () => {
    const receiver = await startHttpReceiver((_request, response) => response.writeHead(204).end(), '/hooks/T0K3N');
    const notifier = createWebhookNotifier({ sleep: async () => undefined });

    notifier.notify(aDigest({ webhookUrl: receiver.url }));
    await notifier.flush();

    const [request] = receiver.requests as [Received];
    expect(verifySignature(request.body, SECRET, request.headers['x-grove-signature'])).toBe(true);
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['kind', 'at', 'configId', 'configVersion', 'displayName', 'executionId', 'digest']);
    expect(body['digest']).toEqual(aDigest().digest);
  });

  it('retries a digest delivery like any other notification', async () => {
    const statuses = [503, 200];
    const receiver = await startHttpReceiver((_request, response, index) => response.writeHead(statuses[index] ?? 200).end());
    const delays: number[] = [];
    const notifier = createWebhookNotifier({ sleep: async (ms) => void delays.push(ms) });

    notifier.notify(aDigest({ webhookUrl: receiver.url }));
    await notifier.flush();

    expect(receiver.requests).toHaveLength(2);
    expect(delays).toEqual([500]);
  });
});
