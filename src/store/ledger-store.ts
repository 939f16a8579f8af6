import type { JobConfig } from '../domain/config/index.js';
import type { LedgerClaim, LedgerExecution } from '../domain/schedule/ledger.js';
import type { BackfillInput, BackfillOutcome, ExecutionRecord, LedgerReading, NewExecutionInput, Store } from '../engine/ports.js';
import * as executions from './queries/executions.js';
import * as ledger from './queries/ledger.js';
import * as slots from './queries/slots.js';
import type { Sql } from './sql.js';

/** An instant the ledger queries read as epoch milliseconds (or a Date, from older rows' paths). */
const date = (value: number | Date | string | null | undefined) => (value === null || value === undefined ? null : new Date(value));

/** The execution whose columns start with `prefix`_ in a ledger row, or null when there is none. */
function ledgerExecution(row: Record<string, unknown>, prefix: string): LedgerExecution | null {
  const id = row[`${prefix}_id`] as string | null;
  if (!id) return null;
  return {
    id,
    status: row[`${prefix}_status`] as string,
    trigger: row[`${prefix}_trigger`] as string,
    attempts: row[`${prefix}_attempts`] as number,
    queuedAt: new Date(row[`${prefix}_queued_at`] as number),
    startedAt: date(row[`${prefix}_started_at`] as number | null),
    finishedAt: date(row[`${prefix}_finished_at`] as number | null),
    durationMs: row[`${prefix}_duration_ms`] as number | null,
    requestedBy: row[`${prefix}_requested_by`] as string | null,
    firstStartedAt: date(row[`${prefix}_first_started_at`] as number | null),
  };
}

type LedgerMethods = Pick<Store, 'readSlotLedger' | 'backfillSlots'>;

/**
 * The store's slot-ledger methods. `insertExecution` is the store's own (it keeps the queue
 * and the endings in step), run on the backfill's transaction.
 */
export function createLedgerStore(sql: Sql, insertExecution: (input: NewExecutionInput, on: Sql) => Promise<ExecutionRecord | undefined>): LedgerMethods {
  return {
    readSlotLedger: async (configId, from, until, limit) => {
      const [versions, claimRows, pauses, cursor, manual] = await Promise.all([
        sql.query<ledger.LedgerVersionRow>(ledger.ledgerVersions(configId)),
        sql.query<ledger.LedgerClaimRow>(ledger.ledgerClaims(configId, from, until, limit)),
        sql.query<ledger.LedgerPauseRow>(ledger.ledgerPauses(configId, from, until)),
        sql.query<{ last_slot_at: Date | null }>(ledger.ledgerCursor(configId)),
        sql.query<Record<string, unknown>>(ledger.ledgerManual(configId, from, until)),
      ]);
      const claims: LedgerClaim[] = claimRows.map((row) => {
        const execution = ledgerExecution(row, 'e');
        const backfill = row.backfill ? ledgerExecution(row.backfill, 'e') : null;
        // Each run's lag from its slot, set here on the objects read (the ledger keeps them as they are).
        for (const e of [execution, backfill]) if (e) e.lagMs = e.firstStartedAt ? e.firstStartedAt.getTime() - row.slot_at : null;
        if (execution && row.missed_through) execution.missedThrough = new Date(row.missed_through);
        return {
          slotAt: new Date(row.slot_at),
          decision: row.decision,
          claimedAt: new Date(row.claimed_at),
          claimedBy: row.claimed_by,
          execution,
          backfill,
          ...(row.active ? { activeAtClaim: row.active } : {}),
        };
      });
      const reading: LedgerReading = {
        versions: versions.map((v) => ({
          version: v.version,
          changedAt: new Date(v.changed_at),
          changedBy: v.changed_by,
          cronExpression: v.cron_expression,
          timezone: v.timezone,
          isEnabled: v.is_enabled,
          misfirePolicy: v.misfire_policy,
          overlapPolicy: v.overlap_policy,
        })),
        claims,
        pauses: pauses.map((p) => ({
          pausedAt: new Date(p.paused_at),
          pausedUntil: date(p.paused_until),
          endedAt: date(p.ended_at),
          reason: p.reason,
          pausedBy: p.paused_by,
        })),
        cursor: date(cursor[0]?.last_slot_at),
        manual: manual.map((row) => ledgerExecution(row, 'e')).filter((e): e is LedgerExecution => e !== null),
      };
      return reading;
    },

    backfillSlots: (input: BackfillInput) =>
      sql.transaction(async (tx): Promise<BackfillOutcome> => {
        const config: JobConfig = input.config;
        const configId = config.meta.id;
        // One backfill (or scheduler claim) of the config at a time: what is taken is read under the lock.
        await tx.query(slots.lockScheduleState(configId));
        const taken = new Set(
          (await tx.query<{ slot_at: Date }>(ledger.takenSlots(configId, input.slots))).map((r) => new Date(r.slot_at).getTime()),
        );
        const open = input.slots.filter((s) => !taken.has(s.getTime()));
        let room = open.length;
        if (input.overlap === 'skip') {
          const active = (await tx.query<{ active: number }>(executions.countActive(configId)))[0]?.active ?? 0;
          room = Math.max(0, Math.min(open.length, config.payload.limits.maxConcurrent - active));
        }
        const created: ExecutionRecord[] = [];
        for (const [index, slot] of open.slice(0, room).entries()) {
          const record = await insertExecution(
            {
              config,
              status: 'queued',
              trigger: 'backfill',
              slot,
              attempt: 1,
              runId: null,
              retryOf: null,
              requestedBy: input.actor,
              idempotencyKey: null,
              dryRun: false,
              batchSize: null,
              queuedAt: input.now,
              // Due at once, oldest slot first: the queue takes the earliest run_after first.
              runAfter: new Date(input.now.getTime() - (room - index)),
              summary: `Backfill of the slot ${slot.toISOString()}`,
              result: null,
            },
            tx,
          );
          if (!record) throw new Error(`the backfill execution of ${configId} at ${slot.toISOString()} was not recorded`);
          const took = await tx.query(ledger.recordBackfill(configId, slot, record.id, input.now, input.actor));
          if (took.length === 0) throw new Error(`the slot ${slot.toISOString()} of ${configId} was taken while the backfill held its lock`);
          created.push(record);
        }
        return { created, taken: [...taken].map((ms) => new Date(ms)), noRoom: open.slice(room) };
      }),
  };
}
