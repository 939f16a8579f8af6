import { describe, expect, it } from 'vitest';
import { SqlReader, type SqlValue, tokenizeSql } from './sql-values.js';

function read(text: string): SqlValue | undefined {
  const tokens = tokenizeSql(text);
  if (!tokens) return undefined;
  const reader = new SqlReader(tokens);
  const value = reader.value();
  return reader.done ? value : undefined;
}

describe('reading constant SQL values', () => {
  const rows: Array<{ behaviour: string; text: string; expected: SqlValue | undefined }> = [
    { behaviour: 'reads a string with a doubled quote', text: "'it''s'", expected: { kind: 'text', value: "it's" } },
    { behaviour: 'reads backslashes literally in a standard string', text: "'a\\nb'", expected: { kind: 'text', value: 'a\\nb' } },
    { behaviour: 'reads E-string escapes', text: "E'a\\nb\\t\\'c\\\\\\x41\\101\\u00e9'", expected: { kind: 'text', value: "a\nb\t'c\\AAé" } },
    { behaviour: 'reads a dollar-quoted string', text: "$$it's$$", expected: { kind: 'text', value: "it's" } },
    { behaviour: 'reads a tagged dollar-quoted string holding $$', text: '$q$a $$ b$q$', expected: { kind: 'text', value: 'a $$ b' } },
    { behaviour: 'reads numbers, negative and decimal', text: '-12.5', expected: { kind: 'number', value: -12.5 } },
    { behaviour: 'reads booleans and null in any case', text: 'TRUE', expected: { kind: 'boolean', value: true } },
    { behaviour: 'reads null', text: 'Null', expected: { kind: 'null' } },
    { behaviour: 'casts a string to jsonb', text: `'{"a":1}'::jsonb`, expected: { kind: 'json', value: { a: 1 } } },
    { behaviour: 'casts through text to json', text: `'[1]'::text::json`, expected: { kind: 'json', value: [1] } },
    { behaviour: 'casts a string to integer', text: `'5000'::int`, expected: { kind: 'number', value: 5000 } },
    { behaviour: 'reads a parenthesised value', text: `('x')`, expected: { kind: 'text', value: 'x' } },
    { behaviour: 'builds a nested object, keeping string values as strings', text: `jsonb_build_object('a', '{"b":1}', 'c', '{"d":2}'::jsonb)`, expected: { kind: 'json', value: { a: '{"b":1}', c: { d: 2 } } } },
    { behaviour: 'builds an array', text: `json_build_array(1, 'two', null)`, expected: { kind: 'json', value: [1, 'two', null] } },
    { behaviour: 'skips comments', text: `/* a /* nested */ comment */ 'x' -- trailing`, expected: { kind: 'text', value: 'x' } },
    { behaviour: 'refuses an odd number of build_object arguments', text: `jsonb_build_object('a')`, expected: undefined },
    { behaviour: 'refuses a string that is not JSON cast to jsonb', text: `'{a}'::jsonb`, expected: undefined },
    { behaviour: 'refuses concatenation', text: `'a' || 'b'`, expected: undefined },
    { behaviour: 'refuses a function call', text: `now()`, expected: undefined },
    { behaviour: 'refuses a parameter', text: `$1`, expected: undefined },
    { behaviour: 'refuses a bit string', text: `B'101'`, expected: undefined },
    { behaviour: 'refuses an unknown cast', text: `'x'::uuid`, expected: undefined },
    { behaviour: 'refuses an unterminated string', text: `'x`, expected: undefined },
    { behaviour: 'refuses an unterminated comment', text: `'x' /* open`, expected: undefined },
  ];
  it.each(rows)('$behaviour', ({ text, expected }) => {
    expect(read(text)).toEqual(expected);
  });
});
