// What the Slots view draws for each slot of the ledger: the words and glyph of its fate, its
// accessible name, the days of a range. Pure (no React), so the names are the same wherever a
// slot is shown.
import type { LedgerSlotView, SlotLedgerView } from '../../../src/api/routes/slots.js';
import { formatDuration } from '../status-catalog/transform.js';
import { addDays, dayOf, wallTimeOf, zoneName } from './zone-time.js';

export type { LedgerSlotView, SlotLedgerView };
export type SlotFate = LedgerSlotView['fate'];
export type ManualRunView = SlotLedgerView['manual'][number];
export type LedgerDstView = SlotLedgerView['dst'][number];

/**
 * Each fate's words and glyph, in the legend's order (what ran, what runs, what did not, what
 * is to come). The glyph and the words stand beside the colour: colour is never the only cue.
 */
export const FATES: ReadonlyArray<{ fate: SlotFate; label: string; glyph: string }> = [
  { fate: 'ran', label: 'ran', glyph: '✓' },
  { fate: 'caught-up', label: 'caught up late', glyph: '↻' },
  { fate: 'backfilled', label: 'backfilled', glyph: '↺' },
  { fate: 'running', label: 'running', glyph: '▸' },
  { fate: 'queued', label: 'queued', glyph: '…' },
  { fate: 'skipped-overlap', label: 'skipped (overlap)', glyph: '⇥' },
  { fate: 'missed', label: 'missed', glyph: '✕' },
  { fate: 'due', label: 'due', glyph: '!' },
  { fate: 'unclaimed', label: 'passed unclaimed', glyph: '?' },
  { fate: 'paused', label: 'paused', glyph: '‖' },
  { fate: 'disabled', label: 'switched off', glyph: '–' },
  { fate: 'before-created', label: 'before the job existed', glyph: '·' },
  { fate: 'upcoming', label: 'upcoming', glyph: '○' },
];

const BY_FATE = new Map(FATES.map((f) => [f.fate, f]));

export function fateLabel(fate: SlotFate): string {
  return BY_FATE.get(fate)?.label ?? fate;
}

export function fateGlyph(fate: SlotFate): string {
  return BY_FATE.get(fate)?.glyph ?? '•';
}

/** Outcomes that went wrong: a slot that "ran" into one of them is marked as such too. */
const FAILED = new Set(['failed', 'timeout']);

export function failed(slot: LedgerSlotView): boolean {
  return slot.execution !== undefined && FAILED.has(slot.execution.status);
}

export const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** "03:00" of a slot's wall clock ("2026-03-08T03:00:00-04:00"), with seconds when it has them. */
export function slotTime(slot: LedgerSlotView): string {
  const time = slot.wallClock.slice(11, 19);
  return time.endsWith(':00') ? time.slice(0, 5) : time;
}

/** "03:00 EDT" */
export function slotWallTime(slot: LedgerSlotView): string {
  return `${slotTime(slot)} ${zoneName(slot.timezone, Date.parse(slot.at))}`;
}

/** "03:00 EDT (07:00 UTC)": a wall time in its zone, with UTC unless that is the zone. */
export function withUtc(wallTime: string, iso: string): string {
  if (wallTime.endsWith(' UTC')) return wallTime;
  const time = iso.slice(11, 19);
  return `${wallTime} (${time.endsWith(':00') ? time.slice(0, 5) : time} UTC)`;
}

/** What daylight saving did to a slot, in a few words ("02:30 does not exist that day"). */
export function dstNote(dst: NonNullable<LedgerSlotView['dst']>): string {
  const asked = dst.wallClock.endsWith(':00') ? dst.wallClock.slice(0, 5) : dst.wallClock;
  switch (dst.rule) {
    case 'gap-runs-after':
    case 'gap-skipped':
      return `daylight saving: ${asked} does not exist that day`;
    case 'doubled-runs-once':
      return `daylight saving: ${asked} happens twice, this is the first`;
    case 'doubled-runs-twice':
      return `daylight saving: ${asked} happens twice, this is the ${dst.occurrence ?? 'first'}`;
  }
}

/** A mark's accessible name: "03:00 EDT — ran (success)", with what daylight saving did to it. */
export function slotName(slot: LedgerSlotView): string {
  const outcome = slot.execution ? ` (${slot.execution.status})` : '';
  return `${slotWallTime(slot)} — ${fateLabel(slot.fate)}${outcome}${slot.dst ? `; ${dstNote(slot.dst)}` : ''}`;
}

/** "14:05 EST — manual run (success)" */
export function manualName(run: ManualRunView, zone: string): string {
  const at = Date.parse(run.at);
  return `${wallTimeOf(zone, at)} ${zoneName(zone, at)} — manual run (${run.status})`;
}

/** A manual run in words, for the details line. */
export function manualPhrase(run: ManualRunView): string {
  const took = run.durationMs !== null ? `, ${formatDuration(run.durationMs)}` : '';
  const by = run.requestedBy ? ` by ${run.requestedBy}` : '';
  return `A run started by hand (${run.trigger}${by}), not by a slot: execution ${run.id.slice(0, 8)}… (${run.status}${took}).`;
}

/** The days a range shows: one, or the seven of a week. */
export function daysOf(first: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => addDays(first, index));
}

/**
 * Slots and manual runs per day of the job's zone (the range's days). A slot listed under an
 * earlier zone of the job keeps its own wall clock, but is filed under the day it falls in now.
 */
export function byDay(ledger: SlotLedgerView, zone: string): Map<string, { slots: LedgerSlotView[]; manual: ManualRunView[]; dst: LedgerDstView[] }> {
  const days = new Map<string, { slots: LedgerSlotView[]; manual: ManualRunView[]; dst: LedgerDstView[] }>();
  const day = (key: string) => {
    let entry = days.get(key);
    if (!entry) {
      entry = { slots: [], manual: [], dst: [] };
      days.set(key, entry);
    }
    return entry;
  };
  for (const slot of ledger.slots) day(dayOf(zone, Date.parse(slot.at))).slots.push(slot);
  for (const run of ledger.manual) day(dayOf(zone, Date.parse(run.at))).manual.push(run);
  for (const entry of ledger.dst) day(entry.date).dst.push(entry);
  return days;
}
