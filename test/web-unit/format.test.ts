import { describe, expect, it } from 'vitest';
import { formatRunTime } from '../../web/src/format.js';

const NOW = new Date('2026-11-25T14:30:00.000Z');
/** ICU versions differ on the space before AM and PM (U+202F or a plain one). */
const read = (iso: string, zone: string) => formatRunTime(iso, zone, NOW).replace(/\s/g, ' ');
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham', 'Etc/GMT+5'];

/** The same wording with nothing cached: a formatter per call, the zone name read from its parts. */
function uncachedRunTime(iso: string, zone: string, now: Date): string {
  const at = new Date(iso);
  const dayKey = (when: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(when);
  const time = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', minute: '2-digit' }).format(at);
  const zoneName = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' }).formatToParts(at).find((part) => part.type === 'timeZoneName')?.value;
  const day = dayKey(at);
  let date: string;
  if (day === dayKey(now)) date = 'Today';
  else if (day === dayKey(new Date(now.getTime() + 86_400_000))) date = 'Tomorrow';
  else {
    const sameYear = day.slice(0, 4) === dayKey(now).slice(0, 4);
    date = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', month: 'short', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }) }).format(at);
  }
  return `${date} ${time} ${zoneName}`;
}

describe('formatRunTime (the grid, the editor and the status tab)', () => {
  it('says Today, Tomorrow, the weekday, and the year when it is not this one, in the config zone', () => {
    expect(read('2026-11-25T22:00:00.000Z', 'UTC')).toBe('Today 10:00 PM UTC');
    expect(read('2026-11-26T02:00:00.000Z', 'UTC')).toBe('Tomorrow 2:00 AM UTC');
    expect(read('2026-11-26T02:00:00.000Z', 'America/New_York')).toBe('Today 9:00 PM EST');
    expect(read('2026-11-28T02:00:00.000Z', 'UTC')).toBe('Sat, Nov 28 2:00 AM UTC');
    expect(read('2027-01-04T02:00:00.000Z', 'UTC')).toBe('Mon, Jan 4, 2027 2:00 AM UTC');
    expect(read('2026-11-26T02:00:00.000Z', 'Europe/Berlin')).toBe('Tomorrow 3:00 AM GMT+1');
  });

  it('reads as formatters built afresh for each call do (its caches change nothing), in every zone and across daylight-saving changes', () => {
    for (const zone of ZONES) {
      for (let at = Date.parse('2026-01-01T00:00:00.000Z'); at < Date.parse('2027-01-01T00:00:00.000Z'); at += 19 * 3600_000 + 17 * 60_000) {
        const iso = new Date(at).toISOString();
        const now = new Date(at - ((at / 60_000) % 3) * 20 * 3600_000);
        expect(formatRunTime(iso, zone, now), `${iso} in ${zone}`).toBe(uncachedRunTime(iso, zone, now));
      }
    }
  });
});
