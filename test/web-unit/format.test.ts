import { describe, expect, it } from 'vitest';
import { formatRunTime } from '../../web/src/format.js';
import { formatRunTime as statusTabRunTime } from '../../web/src/status-catalog/transform.js';

const NOW = new Date('2026-11-25T14:30:00.000Z');
/** ICU versions differ on the space before AM and PM (U+202F or a plain one). */
const read = (iso: string, zone: string) => formatRunTime(iso, zone, NOW).replace(/\s/g, ' ');
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham', 'Etc/GMT+5'];

describe('formatRunTime (the grid and the editor)', () => {
  it('says Today, Tomorrow, the weekday, and the year when it is not this one, in the config zone', () => {
    expect(read('2026-11-25T22:00:00.000Z', 'UTC')).toBe('Today 10:00 PM UTC');
    expect(read('2026-11-26T02:00:00.000Z', 'UTC')).toBe('Tomorrow 2:00 AM UTC');
    expect(read('2026-11-26T02:00:00.000Z', 'America/New_York')).toBe('Today 9:00 PM EST');
    expect(read('2026-11-28T02:00:00.000Z', 'UTC')).toBe('Sat, Nov 28 2:00 AM UTC');
    expect(read('2027-01-04T02:00:00.000Z', 'UTC')).toBe('Mon, Jan 4, 2027 2:00 AM UTC');
    expect(read('2026-11-26T02:00:00.000Z', 'Europe/Berlin')).toBe('Tomorrow 3:00 AM GMT+1');
  });

  it('reads as the status tab does, for every zone and across daylight-saving changes', () => {
    for (const zone of ZONES) {
      for (let at = Date.parse('2026-01-01T00:00:00.000Z'); at < Date.parse('2027-01-01T00:00:00.000Z'); at += 19 * 3600_000 + 17 * 60_000) {
        const iso = new Date(at).toISOString();
        const now = new Date(at - ((at / 60_000) % 3) * 20 * 3600_000);
        expect(formatRunTime(iso, zone, now), `${iso} in ${zone}`).toBe(statusTabRunTime(iso, zone, now));
      }
    }
  });
});
