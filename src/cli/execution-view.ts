import type { ExecutionRecord, LogLine } from '../app.js';
import { abbreviateExecutionId, shortestUniquePrefixLength } from '../domain/execution/index.js';
import { formatUtc, table } from './output.js';

/** An execution as `--json` prints it: never the config snapshot (it may hold secrets). */
export function executionJson(e: ExecutionRecord) {
  return {
    id: e.id,
    configId: e.configId,
    configVersion: e.configVersion,
    trigger: e.trigger,
    slot: e.slot?.toISOString() ?? null,
    attempt: e.attempt,
    runId: e.runId,
    retryOf: e.retryOf,
    status: e.status,
    requestedBy: e.requestedBy,
    dryRun: e.dryRun,
    batchSize: e.batchSize,
    queuedAt: e.queuedAt.toISOString(),
    runAfter: e.runAfter.toISOString(),
    startedAt: e.startedAt?.toISOString() ?? null,
    finishedAt: e.finishedAt?.toISOString() ?? null,
    durationMs: e.durationMs,
    items: e.items,
    summary: e.summary,
    result: e.result ?? null,
    error: e.error,
  };
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
}

/**
 * Executions as a table. Ids show their first `idHexDigits` hex digits (default: as many as
 * tell the listed ids apart, at least 8); `history` passes a length unique among all
 * executions, so every printed id is accepted by `logs`, `retry` and `cancel`.
 */
export function executionsTable(executions: readonly ExecutionRecord[], idHexDigits = shortestUniquePrefixLength(executions.map((e) => e.id))): string {
  return table(
    ['ID', 'TRIGGER', 'SLOT', 'ATTEMPT', 'STATUS', 'STARTED', 'DURATION', 'ITEMS', 'NOTE'],
    executions.map((e) => [
      abbreviateExecutionId(e.id, idHexDigits),
      e.trigger,
      e.slot ? formatUtc(e.slot) : '',
      String(e.attempt),
      e.status,
      e.startedAt ? formatUtc(e.startedAt) : '',
      formatDuration(e.durationMs),
      e.items.total !== null ? `${e.items.processed}/${e.items.total}` : e.items.processed ? String(e.items.processed) : '',
      e.error?.message ?? e.summary ?? '',
    ]),
  );
}

/** One line: "success in 2.3 s — 142 processed, 2 failed". */
export function executionLine(e: ExecutionRecord): string {
  const items = e.items.processed || e.items.failed ? ` — ${e.items.processed} processed${e.items.failed ? `, ${e.items.failed} failed` : ''}` : '';
  const detail = e.error ? `: ${e.error.message}` : e.summary ? `: ${e.summary}` : '';
  return `${e.id} ${e.status}${e.durationMs !== null ? ` in ${formatDuration(e.durationMs)}` : ''}${items}${detail}`;
}

export function logLine(line: Pick<LogLine, 'at' | 'level' | 'message'>): string {
  return `${formatUtc(line.at)} ${line.level.toUpperCase().padEnd(5)} ${line.message}`;
}
