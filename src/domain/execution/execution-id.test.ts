import { describe, expect, it } from 'vitest';
import { ExecutionErrorCode, ExecutionOperationError } from './errors.js';
import { abbreviateExecutionId, parseExecutionIdPrefix, shortestUniquePrefixLength, shownPrefixLength, uniquePrefixLength } from './execution-id.js';

// Two ids made 5 ms apart (UUID version 7: the first 12 hex digits are the milliseconds).
const A = '01a24e2b-1c3d-7a00-8000-000000000001';
const B = '01a24e2b-1c42-7b00-8000-000000000002';
// Made in the same millisecond as B: they share the version digit too.
const C = '01a24e2b-1c42-7c00-8000-000000000003';
const LATER = '01a24e39-0000-7000-8000-000000000004';

describe('shortestUniquePrefixLength', () => {
  it.each([
    ['no ids', [], 8],
    ['one id', [A], 8],
    ['ids differing within the first 8 digits', [A, LATER], 8],
    ['ids sharing their first 8 digits (ids made in the same minute)', [A, B], 11],
    ['ids made in the same millisecond, past the version digit', [B, C], 14],
    ['the longest of every pair decides', [LATER, A, C, B], 14],
    ['the same id twice counts once', [A, A], 8],
    ['upper case and no hyphens read as the same ids', [A.toUpperCase(), B.replaceAll('-', '')], 11],
  ])('%s', (_name, ids, expected) => {
    expect(shortestUniquePrefixLength(ids)).toBe(expected);
  });

  it('never goes below the minimum asked for, nor past the whole id', () => {
    expect(shortestUniquePrefixLength([A, LATER], 12)).toBe(12);
    expect(shortestUniquePrefixLength([A, '01a24e2b-1c3d-7a00-8000-000000000002'])).toBe(32);
  });
});

describe('uniquePrefixLength', () => {
  it.each([
    ['no neighbours', A, [null, null], 8],
    ['a neighbour sharing 10 digits', B, [A, null], 11],
    ['the neighbour sharing more decides', B, [A, C], 14],
    ['itself is no other', A, [A, LATER], 8],
  ])('%s', (_name, id, others, expected) => {
    expect(uniquePrefixLength(id, others)).toBe(expected);
  });
});

describe('shownPrefixLength', () => {
  it.each([
    ['an older id: unique among its neighbours', A, null, B, 11],
    ['the newest id: its whole instant, so later runs never share its prefix', LATER, B, null, 12],
    ['the newest id made in the same millisecond as the one before: more', C, B, null, 14],
    ['the only id: its whole instant', A, null, null, 12],
  ])('%s', (_name, id, before, after, expected) => {
    expect(shownPrefixLength(id, before, after)).toBe(expected);
  });
});

describe('abbreviateExecutionId', () => {
  it.each([
    [8, '01a24e2b'],
    [11, '01a24e2b-1c3'],
    [14, '01a24e2b-1c3d-7a'],
    [32, A],
  ])('%i hex digits in canonical form', (digits, expected) => {
    expect(abbreviateExecutionId(A, digits)).toBe(expected);
  });
});

describe('parseExecutionIdPrefix', () => {
  it.each([
    ['8 digits', '01a24e2b', '01a24e2b', '01a24e2b-0000-0000-0000-000000000000', '01a24e2b-ffff-ffff-ffff-ffffffffffff'],
    ['an odd number of digits', '01a24e2b-1c3', '01a24e2b1c3', '01a24e2b-1c30-0000-0000-000000000000', '01a24e2b-1c3f-ffff-ffff-ffffffffffff'],
    ['no hyphens, upper case', '01A24E2B1C3D7', '01a24e2b1c3d7', '01a24e2b-1c3d-7000-0000-000000000000', '01a24e2b-1c3d-7fff-ffff-ffffffffffff'],
    ['a trailing hyphen', '01a24e2b-', '01a24e2b', '01a24e2b-0000-0000-0000-000000000000', '01a24e2b-ffff-ffff-ffff-ffffffffffff'],
  ])('%s names the range of ids it starts', (_name, input, hex, lo, hi) => {
    expect(parseExecutionIdPrefix(input)).toEqual({ hex, lo, hi, whole: false });
  });

  it('a whole id names itself', () => {
    expect(parseExecutionIdPrefix(A.toUpperCase())).toEqual({ hex: A.replaceAll('-', ''), lo: A, hi: A, whole: true });
    expect(parseExecutionIdPrefix(A.replaceAll('-', ''))).toMatchObject({ lo: A, hi: A, whole: true });
  });

  it.each([
    ['too short', '01a24e2'],
    ['not hex', '01a24e2g'],
    ['a word', 'nope'],
    ['empty', ''],
    ['a hyphen out of place', '01a2-4e2b'],
    ['longer than an id', `${A}0`],
    ['a LIKE pattern', '01a24e2%'],
  ])('refuses %s as bad input naming the field', (_name, input) => {
    let error: unknown;
    try {
      parseExecutionIdPrefix(input, 'id');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExecutionOperationError);
    expect(error).toMatchObject({ code: ExecutionErrorCode.InvalidId, field: 'id' });
  });
});
