import { ConfigError, ConfigErrorCode, applyMergePatch } from '../domain/config/index.js';
import type { ChangePreview } from '../app.js';
import type { PreviewRun } from '../domain/schedule/index.js';
import type { OpenedGroveJobs } from '../open.js';
import { formatInZone, formatUtc, json, table } from './output.js';


/**
 * `jobs set … --preview`: what the change would do to the next runs, stored nowhere. The patch
 * goes through the same checks as the change itself, so a bad value is refused the same way.
 */
export async function previewSet(system: OpenedGroveJobs, id: string, patch: unknown, actor: string, expectedVersion?: number): Promise<ChangePreview> {
  const current = await system.configs.get(id);
  if (expectedVersion !== undefined && expectedVersion !== current.meta.version) {
    throw new ConfigError(ConfigErrorCode.VersionConflict, `job config '${id}' is at version ${current.meta.version}, not ${expectedVersion}: reload and preview again`, [
      { path: 'meta.version', message: `is ${current.meta.version}, not ${expectedVersion}` },
    ]);
  }
  return system.configs.preview(current, applyMergePatch(current, patch), system.clock.now(), actor);
}

const when = (run: PreviewRun, zone: string) => formatInZone(new Date(run.at), zone);
const utc = (instant: string) => formatUtc(new Date(instant));

/** The preview as text: both schedules, next runs side by side (moved ones marked), what vanishes or is new, DST dates, the first run under a new rule. */
export function renderPreview(id: string, preview: ChangePreview): string {
  const { before, after } = preview;
  const lines: string[] = [`Preview of a change to ${id}: nothing is stored.`];
  lines.push(`Before: ${before.cronExpression} — ${before.description}${before.note ? ` — ${before.note}` : ''}`);
  lines.push(`After:  ${after.cronExpression} — ${after.description}${after.note ? ` — ${after.note}` : ''}`);
  lines.push(
    preview.changes.length === 0
      ? 'Changes: none'
      : `Changes: ${preview.changes.map((c) => `${c.path} ${JSON.stringify(c.from) ?? '(unset)'} → ${JSON.stringify(c.to) ?? '(unset)'}`).join('; ')}`,
  );

  const movedFrom = new Set(preview.moved.map((m) => m.from.at));
  const vanished = new Set(preview.vanished.map((r) => r.at));
  const added = new Set(preview.added.map((r) => r.at));
  const movedTo = new Set(preview.moved.map((m) => m.to.at));
  const mark = (at: string, changed: Set<string>, moved: Set<string>) => (moved.has(at) ? ' *' : changed.has(at) ? ' +' : '');
  const rows: string[][] = [];
  for (let i = 0; i < Math.max(preview.runs.before.length, preview.runs.after.length); i++) {
    const b = preview.runs.before[i];
    const a = preview.runs.after[i];
    rows.push([
      b ? `${when(b, before.timezone)}${mark(b.at, vanished, movedFrom)}` : '',
      a ? `${when(a, after.timezone)}${mark(a.at, added, movedTo)}` : '',
    ]);
  }
  lines.push('');
  if (rows.length === 0) lines.push('Next runs: none before, none after.');
  else {
    lines.push(table([`NEXT RUNS BEFORE (${before.timezone})`, `NEXT RUNS AFTER (${after.timezone})`], rows));
    lines.push('(* moved, + vanished before / new after)');
  }
  if (before.note && preview.runs.before.length === 0) lines.push(`Before: ${before.note}.`);
  if (after.note && preview.runs.after.length === 0) lines.push(`After: ${after.note}.`);

  lines.push('');
  lines.push(`Moved:${preview.moved.length === 0 ? ' none' : ''}`);
  for (const m of preview.moved) lines.push(`  ${when(m.from, before.timezone)} → ${when(m.to, after.timezone)}  (${utc(m.from.at)} → ${utc(m.to.at)})`);
  lines.push(`Vanished:${preview.vanished.length === 0 ? ' none' : ''}`);
  for (const r of preview.vanished) lines.push(`  ${when(r, before.timezone)}  (${utc(r.at)})`);
  lines.push(`New:${preview.added.length === 0 ? ' none' : ''}`);
  for (const r of preview.added) lines.push(`  ${when(r, after.timezone)}  (${utc(r.at)})`);

  lines.push(`Daylight-saving dates in the next 12 months (${after.timezone}):${preview.dstDates.length === 0 ? ' none' : ''}`);
  for (const d of preview.dstDates) {
    const used = d.instants.length === 0 ? 'skipped' : d.instants.map(utc).join(' and ');
    lines.push(`  ${d.date} ${d.wallClock} → ${used} (${d.rule}): ${d.explanation}`);
  }
  if (preview.firstRunUnderNewRule) {
    lines.push(`First run under the new rule: ${when(preview.firstRunUnderNewRule, after.timezone)} (${utc(preview.firstRunUnderNewRule.at)})`);
  }
  return lines.join('\n');
}

/** The preview as printed: text, or with --json the API's shape (POST /api/jobs/{id}/preview). */
export function formatPreview(id: string, preview: ChangePreview, asJson: boolean): string {
  return asJson ? json(preview) : renderPreview(id, preview);
}
