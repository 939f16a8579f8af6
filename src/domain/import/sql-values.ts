/**
 * Just enough PostgreSQL to read a function call whose arguments are constants: string
 * literals ('…' with '' escapes, E'…' with backslash escapes, $$…$$ and $tag$…$tag$), numbers,
 * true/false/null, `::` casts to json/jsonb/text/integer, and json(b)_build_object/_array
 * over such constants. Anything else (a column, a subquery, `||`, current_setting(…), now())
 * cannot be known without running it, and the readers say so by returning undefined.
 */

export type SqlToken =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  /** Unquoted identifiers are lower-cased, as PostgreSQL folds them; quoted ones keep their case. */
  | { type: 'ident'; value: string; quoted: boolean }
  | { type: 'punct'; value: '(' | ')' | ',' | ';' | '.' | '::' | ':=' | '=>' }
  /** Any other operator or character (`||`, `-`, `[`, `$1`, …). */
  | { type: 'op'; value: string };

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const OPERATOR_CHARS = /[+\-*/<>=~!@#%^&|`?]/;

/** E'…' escapes other than octal, hex and unicode ones (PostgreSQL 4.1.2.2). */
const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Tokens of a SQL text, comments dropped; undefined when a string, quoted name or comment is left open. */
export function tokenizeSql(text: string): SqlToken[] | undefined {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    const next = text.charAt(i + 1);
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (ch === '/' && next === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= text.length) return undefined;
        if (text.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (ch === "'") {
      const read = readQuoted(text, i + 1, false);
      if (!read) return undefined;
      tokens.push({ type: 'string', value: read.value });
      i = read.end;
    } else if ((ch === 'e' || ch === 'E') && next === "'") {
      const read = readQuoted(text, i + 2, true);
      if (!read) return undefined;
      tokens.push({ type: 'string', value: read.value });
      i = read.end;
    } else if (ch === '$' && /[A-Za-z_$]/.test(next)) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (!tag) {
        tokens.push({ type: 'op', value: ch });
        i++;
        continue;
      }
      const start = i + tag[0].length;
      const end = text.indexOf(tag[0], start);
      if (end === -1) return undefined;
      tokens.push({ type: 'string', value: text.slice(start, end) });
      i = end + tag[0].length;
    } else if (ch === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text.charAt(i) === '"') {
          if (text.charAt(i + 1) !== '"') break;
          value += '"';
          i += 2;
        } else value += text.charAt(i++);
      }
      tokens.push({ type: 'ident', value, quoted: true });
      i++;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(next))) {
      const number = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i));
      const digits = number?.[0] ?? ch;
      tokens.push({ type: 'number', value: Number(digits) });
      i += digits.length;
    } else if (IDENT_START.test(ch)) {
      let end = i + 1;
      while (end < text.length && IDENT_PART.test(text.charAt(end))) end++;
      // B'…', X'…', U&'…' and other prefixed literals are not read.
      if (text.charAt(end) === "'" || text.charAt(end) === '&') {
        tokens.push({ type: 'op', value: text.slice(i, end + 1) });
        i = end + 1;
        continue;
      }
      tokens.push({ type: 'ident', value: text.slice(i, end).toLowerCase(), quoted: false });
      i = end;
    } else if (ch === ':' && next === ':') {
      tokens.push({ type: 'punct', value: '::' });
      i += 2;
    } else if (ch === ':' && next === '=') {
      tokens.push({ type: 'punct', value: ':=' });
      i += 2;
    } else if (ch === '=' && next === '>') {
      tokens.push({ type: 'punct', value: '=>' });
      i += 2;
    } else if (ch === '(' || ch === ')' || ch === ',' || ch === ';' || ch === '.') {
      tokens.push({ type: 'punct', value: ch });
      i++;
    } else if (OPERATOR_CHARS.test(ch)) {
      let end = i + 1;
      while (end < text.length && OPERATOR_CHARS.test(text.charAt(end))) end++;
      tokens.push({ type: 'op', value: text.slice(i, end) });
      i = end;
    } else {
      tokens.push({ type: 'op', value: ch });
      i++;
    }
  }
  return tokens;
}

/** Reads a quoted string body from `start` (just after the opening quote) to its closing quote. */
function readQuoted(text: string, start: number, escapes: boolean): { value: string; end: number } | undefined {
  let value = '';
  let i = start;
  for (;;) {
    if (i >= text.length) return undefined;
    const ch = text.charAt(i);
    if (ch === "'") {
      if (text.charAt(i + 1) !== "'") return { value, end: i + 1 };
      value += "'";
      i += 2;
    } else if (escapes && ch === '\\') {
      const read = readEscape(text, i + 1);
      if (!read) return undefined;
      value += read.value;
      i = read.end;
    } else {
      value += ch;
      i++;
    }
  }
}

function readEscape(text: string, start: number): { value: string; end: number } | undefined {
  const ch = text.charAt(start);
  if (ch === '') return undefined;
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return { value: simple, end: start + 1 };
  const rest = text.slice(start);
  const octal = /^[0-7]{1,3}/.exec(rest);
  if (octal) return { value: String.fromCodePoint(parseInt(octal[0], 8)), end: start + octal[0].length };
  const hex = /^x([0-9A-Fa-f]{1,2})/.exec(rest);
  if (hex?.[1] !== undefined) return { value: String.fromCodePoint(parseInt(hex[1], 16)), end: start + hex[0].length };
  const unicode = /^(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))/.exec(rest);
  if (unicode) {
    const code = parseInt(unicode[1] ?? unicode[2] ?? '', 16);
    if (code > 0x10ffff) return undefined;
    return { value: String.fromCodePoint(code), end: start + unicode[0].length };
  }
  // Any other escaped character stands for itself (\\, \', \").
  return { value: ch, end: start + 1 };
}

/**
 * A constant SQL value: `text` for a string literal (whose type PostgreSQL decides from where
 * it is used), `json` for json/jsonb values, `number`, `boolean`, `null`.
 */
export type SqlValue =
  | { kind: 'text'; value: string }
  | { kind: 'json'; value: unknown }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

/** One argument of a call: `name := value` / `name => value`, or positional. */
export interface SqlArgument {
  name?: string;
  value: SqlValue;
}

const BUILDERS = new Set(['jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'json_build_array']);

/** A cursor over tokens; every read returns undefined for anything not constant. */
export class SqlReader {
  private position = 0;

  constructor(private readonly tokens: readonly SqlToken[]) {}

  peek(offset = 0): SqlToken | undefined {
    return this.tokens[this.position + offset];
  }

  get done(): boolean {
    return this.position >= this.tokens.length;
  }

  /** Consumes the next token when it is this punctuation or (unquoted, lower-case) keyword. */
  accept(value: string): boolean {
    const token = this.peek();
    if (!token) return false;
    const matches = token.type === 'punct' ? token.value === value : token.type === 'ident' && !token.quoted && token.value === value;
    if (matches) this.position++;
    return matches;
  }

  /** Consumes and returns an identifier, quoted or not. */
  identifier(): string | undefined {
    const token = this.peek();
    if (token?.type !== 'ident') return undefined;
    this.position++;
    return token.value;
  }

  /** Reads `( [name := ] value, … )` after a function name. */
  arguments(): SqlArgument[] | undefined {
    if (!this.accept('(')) return undefined;
    const list: SqlArgument[] = [];
    if (this.accept(')')) return list;
    for (;;) {
      let name: string | undefined;
      const first = this.peek();
      const second = this.peek(1);
      if (first?.type === 'ident' && second?.type === 'punct' && (second.value === ':=' || second.value === '=>')) {
        name = first.value;
        this.position += 2;
      }
      const value = this.value();
      if (!value) return undefined;
      list.push(name === undefined ? { value } : { name, value });
      if (this.accept(')')) return list;
      if (!this.accept(',')) return undefined;
    }
  }

  /** A constant expression, with any casts after it. */
  value(): SqlValue | undefined {
    let value = this.primary();
    while (value && this.accept('::')) {
      const type = this.identifier();
      value = type === undefined ? undefined : cast(value, type);
    }
    return value;
  }

  private primary(): SqlValue | undefined {
    const token = this.peek();
    if (!token) return undefined;
    if (token.type === 'string') {
      this.position++;
      return { kind: 'text', value: token.value };
    }
    if (token.type === 'number') {
      this.position++;
      return { kind: 'number', value: token.value };
    }
    if (token.type === 'op' && token.value === '-' && this.peek(1)?.type === 'number') {
      const number = this.peek(1) as { value: number };
      this.position += 2;
      return { kind: 'number', value: -number.value };
    }
    if (this.accept('(')) {
      const inner = this.value();
      return inner && this.accept(')') ? inner : undefined;
    }
    if (token.type !== 'ident' || token.quoted) return undefined;
    if (token.value === 'true' || token.value === 'false') {
      this.position++;
      return { kind: 'boolean', value: token.value === 'true' };
    }
    if (token.value === 'null') {
      this.position++;
      return { kind: 'null' };
    }
    if (BUILDERS.has(token.value) && this.peek(1)?.type === 'punct') {
      this.position++;
      const args = this.arguments();
      if (!args || args.some((arg) => arg.name !== undefined)) return undefined;
      return token.value.endsWith('_array') ? buildArray(args) : buildObject(args);
    }
    return undefined;
  }
}

/** A value as json(b) sees it: a text is parsed as JSON, as `'…'::jsonb` does. */
export function asJson(value: SqlValue): { value: unknown } | undefined {
  switch (value.kind) {
    case 'text':
      try {
        return { value: JSON.parse(value.value) as unknown };
      } catch {
        return undefined;
      }
    case 'json':
    case 'number':
    case 'boolean':
      return { value: value.value };
    case 'null':
      return { value: null };
  }
}

/** A value inside json(b)_build_object: a text stays a JSON string (it is not parsed). */
function asElement(value: SqlValue): unknown {
  switch (value.kind) {
    case 'null':
      return null;
    default:
      return value.value;
  }
}

function buildObject(args: SqlArgument[]): SqlValue | undefined {
  // json(b)_build_object takes alternating keys and values.
  if (args.length % 2 !== 0) return undefined;
  const object: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.value;
    const value = args[i + 1]?.value;
    if (!key || !value || (key.kind !== 'text' && key.kind !== 'number')) return undefined;
    object[String(key.value)] = asElement(value);
  }
  return { kind: 'json', value: object };
}

function buildArray(args: SqlArgument[]): SqlValue {
  return { kind: 'json', value: args.map((arg) => asElement(arg.value)) };
}

function cast(value: SqlValue, type: string): SqlValue | undefined {
  switch (type) {
    case 'json':
    case 'jsonb': {
      const json = asJson(value);
      return json && { kind: 'json', value: json.value };
    }
    case 'text':
    case 'varchar':
      return value.kind === 'text' ? value : undefined;
    case 'int':
    case 'int4':
    case 'int8':
    case 'integer':
    case 'bigint':
      if (value.kind === 'number' && Number.isInteger(value.value)) return value;
      if (value.kind === 'text' && /^\s*-?[0-9]+\s*$/.test(value.value)) return { kind: 'number', value: Number(value.value) };
      return undefined;
    default:
      return undefined;
  }
}
