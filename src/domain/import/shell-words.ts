/**
 * Splits a command line into words the way sh would when the line is a plain command:
 * blanks separate words, '…' is literal, "…" is literal except for \" \\ \$ \`, and a backslash
 * outside quotes takes the next character literally. Anything that would make the shell do
 * more than run one program with those words (pipes, lists, redirections, substitutions,
 * variables, globs, a leading `NAME=value`) is reported instead, so the caller can keep the
 * line for a shell. `?`, `*` and `[` inside a URL (`https://…/a?b=1`) stay text: no file
 * could match them, so sh passes them on unchanged.
 */

export type ShellWords = { kind: 'words'; words: string[] } | { kind: 'shell'; reason: string };

/** Unquoted characters with a meaning to sh; each is named in the reason. */
const SHELL_CHARACTERS: Record<string, string> = {
  '|': 'a pipe or ||',
  '&': '& or &&',
  ';': 'a command list (;)',
  '<': 'a redirection',
  '>': 'a redirection',
  '(': 'a subshell or function',
  ')': 'a subshell or function',
  $: 'a variable or $(…) substitution',
  '`': 'a `…` substitution',
  '*': 'a glob',
  '?': 'a glob',
  '[': 'a glob',
  '{': 'a brace group or expansion',
  '}': 'a brace group or expansion',
};

const URL_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Characters a backslash escapes inside double quotes (elsewhere it is kept). */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`', '\n']);

export function shellWords(text: string): ShellWords {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const shell = (reason: string): ShellWords => ({ kind: 'shell', reason });

  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (!inWord && (ch === '#' || ch === '~')) return shell(ch === '#' ? 'a comment (#)' : 'a ~ home directory');
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return shell('an unclosed quote');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return shell('an unclosed quote');
        const inner = text.charAt(i);
        if (inner === '"') break;
        if (inner === '$' || inner === '`') return shell(SHELL_CHARACTERS[inner] ?? inner);
        if (inner === '\\' && DOUBLE_QUOTE_ESCAPES.has(text.charAt(i + 1))) {
          word += text.charAt(i + 1);
          i += 2;
        } else {
          word += inner;
          i++;
        }
      }
      inWord = true;
      i++;
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= text.length) return shell('a trailing backslash');
      word += text.charAt(i + 1);
      inWord = true;
      i += 2;
      continue;
    }
    const meaning = SHELL_CHARACTERS[ch];
    // A glob in a URL could only match a file under a directory named `https:`: sh leaves it as written.
    const literalGlob = (ch === '*' || ch === '?' || ch === '[') && URL_START.test(word);
    if (meaning !== undefined && !literalGlob) return shell(meaning);
    if (ch === '=' && words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) return shell('a NAME=value assignment');
    word += ch;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  if (words.length === 0) return shell('no command');
  return { kind: 'words', words };
}

/** The last path segment of a program path: `/usr/bin/curl` → `curl`. */
export function lastPathSegment(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || path;
}
