import { describe, expect, it } from 'vitest';
import { lastPathSegment, shellWords, type ShellWords } from './shell-words.js';

describe('shellWords', () => {
  const rows: Array<{ behaviour: string; text: string; expected: ShellWords }> = [
    { behaviour: 'splits on blanks', text: ' a  b\tc ', expected: { kind: 'words', words: ['a', 'b', 'c'] } },
    { behaviour: 'keeps single quotes literal', text: `echo 'a "b" $c \\d'`, expected: { kind: 'words', words: ['echo', 'a "b" $c \\d'] } },
    { behaviour: 'reads escapes inside double quotes', text: 'echo "a \\"b\\" \\\\ \\x"', expected: { kind: 'words', words: ['echo', 'a "b" \\ \\x'] } },
    { behaviour: 'joins adjacent quoted parts into one word', text: `a'b'"c"d`, expected: { kind: 'words', words: ['abcd'] } },
    { behaviour: 'keeps an empty quoted word', text: `a '' b`, expected: { kind: 'words', words: ['a', '', 'b'] } },
    { behaviour: 'reads a backslash outside quotes', text: 'a\\ b c\\;', expected: { kind: 'words', words: ['a b', 'c;'] } },
    { behaviour: 'takes = after the first word as text', text: 'run --env=prod', expected: { kind: 'words', words: ['run', '--env=prod'] } },
    { behaviour: 'still reports & inside an unquoted URL', text: 'curl https://example.com/a?b=1&c=2', expected: { kind: 'shell', reason: '& or &&' } },
    { behaviour: 'reads a URL with a query and a star unquoted', text: 'curl https://example.com/a?b=*', expected: { kind: 'words', words: ['curl', 'https://example.com/a?b=*'] } },
    { behaviour: 'reports a pipe', text: 'a | b', expected: { kind: 'shell', reason: 'a pipe or ||' } },
    { behaviour: 'reports &&', text: 'a && b', expected: { kind: 'shell', reason: '& or &&' } },
    { behaviour: 'reports ;', text: 'a; b', expected: { kind: 'shell', reason: 'a command list (;)' } },
    { behaviour: 'reports a redirection', text: 'a > f', expected: { kind: 'shell', reason: 'a redirection' } },
    { behaviour: 'reports $(…)', text: 'a $(b)', expected: { kind: 'shell', reason: 'a variable or $(…) substitution' } },
    { behaviour: 'reports a variable inside double quotes', text: 'a "$HOME"', expected: { kind: 'shell', reason: 'a variable or $(…) substitution' } },
    { behaviour: 'reports backticks', text: 'a `b`', expected: { kind: 'shell', reason: 'a `…` substitution' } },
    { behaviour: 'reports a glob', text: 'rm *.tmp', expected: { kind: 'shell', reason: 'a glob' } },
    { behaviour: 'reports a leading assignment', text: 'A=1 b', expected: { kind: 'shell', reason: 'a NAME=value assignment' } },
    { behaviour: 'reports a home directory', text: 'ls ~/x', expected: { kind: 'shell', reason: 'a ~ home directory' } },
    { behaviour: 'reports a comment', text: 'a #b', expected: { kind: 'shell', reason: 'a comment (#)' } },
    { behaviour: 'reports an unclosed quote', text: "a 'b", expected: { kind: 'shell', reason: 'an unclosed quote' } },
    { behaviour: 'reports an empty line', text: '   ', expected: { kind: 'shell', reason: 'no command' } },
  ];
  it.each(rows)('$behaviour', ({ text, expected }) => {
    expect(shellWords(text)).toEqual(expected);
  });
});

describe('lastPathSegment', () => {
  it.each([
    ['/usr/bin/curl', 'curl'],
    ['curl', 'curl'],
    ['./bin/run/', 'run'],
  ])('%s → %s', (path, expected) => {
    expect(lastPathSegment(path)).toBe(expected);
  });
});
