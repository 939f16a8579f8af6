/** Human-readable output helpers: aligned tables and times in a config's zone. */

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-11-24 03:00 EST` (seconds shown only when not zero). */
export function formatInZone(instant: Date, timeZone: string): string {
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  const seconds = parts['second'] && parts['second'] !== '00' ? `:${parts['second']}` : '';
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}${seconds} ${parts['timeZoneName']}`;
}

/** `2026-11-24T03:00:00Z`: UTC to the second. */
export function formatUtc(instant: Date): string {
  return instant.toISOString().replace('.000Z', 'Z');
}

/** "in 3h 5m", "in 2d 4h", "in 40s" — for glancing, not for scripts. */
export function formatFromNow(instant: Date, now: Date): string {
  let seconds = Math.round((instant.getTime() - now.getTime()) / 1000);
  const past = seconds < 0;
  seconds = Math.abs(seconds);
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const text =
    days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : minutes > 0 ? `${minutes}m ${seconds % 60}s` : `${seconds}s`;
  return past ? `${text} ago` : `in ${text}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
