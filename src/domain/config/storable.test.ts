import { describe, expect, it } from 'vitest';
import { findUnstorable } from './storable.js';

const nest = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('findUnstorable', () => {
  it.each([
    ['a flat object', { a: 1, b: 'x', c: [1, 2] }, undefined],
    ['64 levels', nest(63), undefined],
    ['65 levels, at the first level too deep', nest(65), { path: Array(64).fill('a'), message: 'nests deeper than 64 levels of objects and arrays' }],
    ['20,000 levels, without overflowing the stack', nest(20_000), { path: Array(64).fill('a'), message: 'nests deeper than 64 levels of objects and arrays' }],
    ['a NUL in a string inside an array', { list: ['ok', 'x\u0000'] }, { path: ['list', 1], message: 'must not contain the NUL character' }],
    ['a NUL in a key', { ok: { 'k\u0000': 1 } }, { path: ['ok', 'k\u0000'], message: 'must not have a key with the NUL character' }],
    ['a NUL in a string alone', 'x\u0000', { path: [], message: 'must not contain the NUL character' }],
  ])('%s', (_name, value, expected) => {
    expect(findUnstorable(value)).toEqual(expected);
  });
});
