import { describe, expect, it } from 'vitest';
import { ROW_LIMIT, RowCollector, ROWS_MAX_BYTES, showValue, VALUE_MAX_CHARACTERS } from './rows.js';

describe('showValue', () => {
  it.each([
    ['null', null, null, false],
    ['a number', 42, 42, false],
    ['NaN (numeric NaN)', Number.NaN, 'NaN', false],
    ['a boolean', true, true, false],
    ['a short string', 'tree', 'tree', false],
    ['a long string', 'x'.repeat(VALUE_MAX_CHARACTERS + 1), `${'x'.repeat(VALUE_MAX_CHARACTERS)}…`, true],
    ['a timestamp', new Date('2026-03-29T01:30:00Z'), '2026-03-29T01:30:00.000Z', false],
    ['bytea', Buffer.from([0xde, 0xad]), '\\xdead', false],
    ['json', { tier: 'sapling', n: [1, 2] }, '{"tier":"sapling","n":[1,2]}', false],
    ['an array', ['a', 'b'], '["a","b"]', false],
  ])('shows %s', (_case, value, shown, cut) => {
    expect(showValue(value)).toEqual({ value: shown, cut });
  });

  it('does not cut a surrogate pair in half', () => {
    const text = `${'x'.repeat(VALUE_MAX_CHARACTERS - 1)}😀 and more`;
    expect(showValue(text).value).toBe(`${'x'.repeat(VALUE_MAX_CHARACTERS - 1)}…`);
  });
});

describe('RowCollector', () => {
  it(`keeps the first ${ROW_LIMIT} rows and counts the rest`, () => {
    const collector = new RowCollector();
    for (let i = 0; i < ROW_LIMIT + 5; i++) collector.add([i]);
    const shown = collector.shown(['n']);
    expect(shown.rows).toHaveLength(ROW_LIMIT);
    expect(shown.rowsOmitted).toBe(5);
    expect(shown.valuesCut).toBe(false);
  });

  it(`stops before the kept values pass ${ROWS_MAX_BYTES} bytes, however wide the rows`, () => {
    const collector = new RowCollector();
    const wide = Array.from({ length: 30 }, () => 'y'.repeat(1000));
    for (let i = 0; i < 5; i++) collector.add(wide);
    const shown = collector.shown(wide.map((_, i) => `c${i}`));
    expect(Buffer.byteLength(JSON.stringify(shown.rows))).toBeLessThanOrEqual(ROWS_MAX_BYTES);
    expect(shown.rows.length + shown.rowsOmitted).toBe(5);
    expect(shown.valuesCut).toBe(true);
  });
});
