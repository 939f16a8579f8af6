import { ExecutionErrorCode, ExecutionOperationError } from './errors.js';

/**
 * Fewest hex digits of an execution id that are shown or accepted. Ids are UUID version 7:
 * their first 12 hex digits are the creation instant in milliseconds, so 8 digits name a
 * window of about 65 s of ids (4 would name about 50 days, hardly ever one execution).
 */
export const MIN_EXECUTION_ID_PREFIX = 8;

/** Hex digits of an id that hold its creation instant (48 bits of Unix milliseconds). */
export const INSTANT_HEX_DIGITS = 12;
/** Hex digits in a whole id. */
const ID_HEX_DIGITS = 32;
/** After how many hex digits the canonical form has a hyphen (8-4-4-4-12). */
const HYPHENS_AFTER = [8, 12, 16, 20] as const;

/** A checked id or id prefix: the range of ids it names, bounds included. */
export interface ExecutionIdPrefix {
  /** The hex digits given, lower case, without hyphens. */
  hex: string;
  /** The smallest and the largest id starting with them, in canonical form. */
  lo: string;
  hi: string;
  /** A whole id: the range holds that id only. */
  whole: boolean;
}

/** Lower-case hex digits in the canonical 8-4-4-4-12 form, as far as they go. */
function canonical(hex: string): string {
  let out = '';
  for (let i = 0; i < hex.length; i++) {
    if ((HYPHENS_AFTER as readonly number[]).includes(i)) out += '-';
    out += hex[i];
  }
  return out;
}

/**
 * Checks an execution id or a prefix of one: at least {@link MIN_EXECUTION_ID_PREFIX} hex
 * digits, upper or lower case, with no hyphens or with them where the canonical form has them.
 * @throws ExecutionOperationError EXECUTION_ID_INVALID naming `field`.
 * @example parseExecutionIdPrefix('01A24E2B-1c') // { hex: '01a24e2b1c', lo: '01a24e2b-1c00-0000-…', hi: '01a24e2b-1cff-ffff-…', whole: false }
 */
export function parseExecutionIdPrefix(input: string, field = 'executionId'): ExecutionIdPrefix {
  const lower = input.toLowerCase();
  const hex = lower.replaceAll('-', '');
  const invalid = (why: string) => new ExecutionOperationError(ExecutionErrorCode.InvalidId, `'${input.slice(0, 80)}' is not an execution id: ${why}`, field);
  if (!/^[0-9a-f]*$/.test(hex)) throw invalid('use the hex digits of an id (0-9, a-f), as history prints them');
  if (hex.length > ID_HEX_DIGITS) throw invalid(`an id has ${ID_HEX_DIGITS} hex digits`);
  // Hyphens are optional, but only where an id has them: "01a2-4e2b" is not a prefix of any id.
  if (hex !== lower && lower !== canonical(hex) && lower !== `${canonical(hex)}-`) throw invalid('hyphens go after the 8th, 12th, 16th and 20th hex digit');
  if (hex.length < MIN_EXECUTION_ID_PREFIX) throw invalid(`give at least ${MIN_EXECUTION_ID_PREFIX} hex digits`);
  return {
    hex,
    lo: canonical(hex.padEnd(ID_HEX_DIGITS, '0')),
    hi: canonical(hex.padEnd(ID_HEX_DIGITS, 'f')),
    whole: hex.length === ID_HEX_DIGITS,
  };
}

function hexOf(id: string): string {
  return id.toLowerCase().replaceAll('-', '');
}

function commonHexDigits(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * How many hex digits of `id` tell it apart from every id of `others` (at least `min`, at
 * most the whole id). Given an id's neighbours in id order, that is the length unique among
 * all ids: any other id shares no more of its prefix than a neighbour does.
 */
export function uniquePrefixLength(id: string, others: readonly (string | null | undefined)[], min = MIN_EXECUTION_ID_PREFIX): number {
  const hex = hexOf(id);
  let length = min;
  for (const other of others) {
    if (other === null || other === undefined) continue;
    const otherHex = hexOf(other);
    if (otherHex === hex) continue;
    length = Math.max(length, commonHexDigits(hex, otherHex) + 1);
  }
  return Math.min(length, ID_HEX_DIGITS);
}

/**
 * How many hex digits of `id` to show, given its neighbours in id order among all executions:
 * unique among them ({@link uniquePrefixLength}) and, for the newest (no `after`), its whole
 * instant. Executions made later get greater ids (the ids begin with the instant), so they can
 * share more of the newest's prefix than its neighbour does, but never its whole millisecond;
 * an older id's prefix stays unique, as any later id shares no more of it than `after` does.
 * @example shownPrefixLength('01a24e2b-1c3d-…', '01a24e00-…', null) // 12
 */
export function shownPrefixLength(id: string, before: string | null, after: string | null, min = MIN_EXECUTION_ID_PREFIX): number {
  const unique = uniquePrefixLength(id, [before, after], min);
  return after === null ? Math.max(unique, INSTANT_HEX_DIGITS) : unique;
}

/**
 * The fewest hex digits (at least `min`) at which the given ids all differ, as git shortens
 * object names: each shares less than that with the id next to it in sorted order.
 * @example shortestUniquePrefixLength(['01a24e2b-1c3d-7…', '01a24e2b-9f00-7…']) // 9
 */
export function shortestUniquePrefixLength(ids: readonly string[], min = MIN_EXECUTION_ID_PREFIX): number {
  const sorted = [...new Set(ids.map(hexOf))].sort();
  let length = min;
  for (let i = 1; i < sorted.length; i++) length = Math.max(length, commonHexDigits(sorted[i - 1] as string, sorted[i] as string) + 1);
  return Math.min(length, ID_HEX_DIGITS);
}

/** The first `hexDigits` hex digits of an id in canonical form: `01a24e2b-1c3` for 11. */
export function abbreviateExecutionId(id: string, hexDigits: number): string {
  return canonical(hexOf(id).slice(0, Math.max(1, hexDigits)));
}
