// The part of Python's ast.literal_eval that INI inventories rely on: Ansible passes every INI
// value through it and keeps the text when it is not a literal, so `port=22` is a number,
// `x='22'` a string and `flag=True` a boolean.

class NotLiteral extends Error {}

interface Cursor {
  text: string;
  pos: number;
  depth: number;
}

const NUMBER =
  /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?)[jJ]?/;

function skipSpace(c: Cursor): void {
  for (;;) {
    const ch = c.text[c.pos];
    if (ch === ' ' || ch === '\t' || ch === '\f' || (c.depth > 0 && (ch === '\n' || ch === '\r'))) c.pos++;
    else if (ch === '\\' && c.text[c.pos + 1] === '\n') c.pos += 2;
    else if (ch === '#') {
      while (c.pos < c.text.length && c.text[c.pos] !== '\n') c.pos++;
    } else return;
  }
}

function parseNumber(c: Cursor, sign: number): number {
  const m = NUMBER.exec(c.text.slice(c.pos));
  if (!m) throw new NotLiteral();
  const raw = m[0];
  const after = c.text[c.pos + raw.length];
  if (after !== undefined && /[\p{L}\p{N}_.]/u.test(after)) throw new NotLiteral();
  if (/[jJ]$/.test(raw)) throw new NotLiteral(); // complex numbers do not survive JSON
  c.pos += raw.length;
  const t = raw.replace(/_/g, '');
  let v: number;
  if (/^0[xX]/.test(t)) v = Number.parseInt(t.slice(2), 16);
  else if (/^0[oO]/.test(t)) v = Number.parseInt(t.slice(2), 8);
  else if (/^0[bB]/.test(t)) v = Number.parseInt(t.slice(2), 2);
  else if (/[.eE]/.test(t)) v = Number.parseFloat(t);
  else {
    if (/^0+[1-9]/.test(t)) throw new NotLiteral(); // Python 3 rejects 0644
    v = Number.parseInt(t, 10);
  }
  return sign * v;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

function parseStringPiece(c: Cursor): { value: string; bytes: boolean } {
  const m = /^([rRbBuU]{0,2})('''|"""|'|")/.exec(c.text.slice(c.pos));
  if (!m) throw new NotLiteral();
  const prefix = m[1]!.toLowerCase();
  if (!['', 'r', 'u', 'b', 'br', 'rb'].includes(prefix)) throw new NotLiteral();
  const raw = prefix.includes('r');
  const quote = m[2]!;
  c.pos += m[0].length;
  let out = '';
  for (;;) {
    if (c.pos >= c.text.length) throw new NotLiteral();
    if (c.text.startsWith(quote, c.pos)) {
      c.pos += quote.length;
      return { value: out, bytes: prefix.includes('b') };
    }
    const ch = c.text[c.pos]!;
    if (ch === '\n' && quote.length === 1) throw new NotLiteral();
    if (ch !== '\\') {
      out += ch;
      c.pos++;
      continue;
    }
    const next = c.text[c.pos + 1];
    if (next === undefined) throw new NotLiteral();
    if (raw) {
      out += ch + next;
      c.pos += 2;
      continue;
    }
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      c.pos += 2;
      continue;
    }
    const oct = /^[0-7]{1,3}/.exec(c.text.slice(c.pos + 1));
    const hex = { x: 2, u: 4, U: 8 }[next];
    if (oct) {
      out += String.fromCodePoint(Number.parseInt(oct[0], 8));
      c.pos += 1 + oct[0].length;
    } else if (hex !== undefined && !(prefix.includes('b') && next !== 'x')) {
      const digits = c.text.slice(c.pos + 2, c.pos + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw new NotLiteral();
      out += String.fromCodePoint(Number.parseInt(digits, 16));
      c.pos += 2 + hex;
    } else {
      out += ch + next;
      c.pos += 2;
    }
  }
}

function parseStrings(c: Cursor): string {
  const head = parseStringPiece(c);
  let value = head.value;
  for (;;) {
    skipSpace(c);
    if (!/^[rRbBuU]{0,2}['"]/.test(c.text.slice(c.pos))) break;
    const piece = parseStringPiece(c);
    if (piece.bytes !== head.bytes) throw new NotLiteral();
    value += piece.value;
  }
  return value;
}

function parseSeq(c: Cursor, close: string): unknown[] {
  const items: unknown[] = [];
  c.depth++;
  for (;;) {
    skipSpace(c);
    if (c.text[c.pos] === close) break;
    items.push(parseValue(c));
    skipSpace(c);
    if (c.text[c.pos] === ',') {
      c.pos++;
      continue;
    }
    if (c.text[c.pos] !== close) throw new NotLiteral();
    break;
  }
  c.pos++;
  c.depth--;
  return items;
}

function parseBraces(c: Cursor): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  c.depth++;
  for (;;) {
    skipSpace(c);
    if (c.text[c.pos] === '}') break;
    const key = parseValue(c);
    skipSpace(c);
    // `{1, 2}` is a set, which JSON cannot hold.
    if (c.text[c.pos] !== ':') throw new NotLiteral();
    if (key !== null && typeof key === 'object') throw new NotLiteral();
    c.pos++;
    skipSpace(c);
    out[String(key)] = parseValue(c);
    skipSpace(c);
    if (c.text[c.pos] === ',') {
      c.pos++;
      continue;
    }
    if (c.text[c.pos] !== '}') throw new NotLiteral();
    break;
  }
  c.pos++;
  c.depth--;
  return out;
}

function parseValue(c: Cursor): unknown {
  skipSpace(c);
  const ch = c.text[c.pos];
  if (ch === undefined) throw new NotLiteral();
  if (ch === '[') {
    c.pos++;
    return parseSeq(c, ']');
  }
  if (ch === '(') {
    c.pos++;
    c.depth++;
    skipSpace(c);
    if (c.text[c.pos] === ')') {
      c.pos++;
      c.depth--;
      return [];
    }
    const first = parseValue(c);
    skipSpace(c);
    if (c.text[c.pos] === ')') {
      c.pos++;
      c.depth--;
      return first;
    }
    if (c.text[c.pos] !== ',') throw new NotLiteral();
    c.pos++;
    c.depth--;
    return [first, ...parseSeq(c, ')')];
  }
  if (ch === '{') {
    c.pos++;
    return parseBraces(c);
  }
  if (ch === '-' || ch === '+') {
    c.pos++;
    skipSpace(c);
    return parseNumber(c, ch === '-' ? -1 : 1);
  }
  if (/[0-9.]/.test(ch)) return parseNumber(c, 1);
  const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(c.text.slice(c.pos))?.[0];
  if (word && !/^[rRbBuU]{1,2}$/.test(word)) {
    const consts: Record<string, unknown> = { True: true, False: false, None: null };
    if (!(word in consts) || /[\p{L}\p{N}_]/u.test(c.text[c.pos + word.length] ?? '')) throw new NotLiteral();
    c.pos += word.length;
    return consts[word];
  }
  return parseStrings(c);
}

/** Value of `text` read as a Python literal, or undefined when Python would not accept it as one. */
export function literalEval(text: string): { value: unknown } | undefined {
  const c: Cursor = { text: text.replace(/^[ \t]+/, ''), pos: 0, depth: 0 };
  try {
    const value = parseValue(c);
    skipSpace(c);
    while (c.text[c.pos] === '\n' || c.text[c.pos] === '\r') {
      c.pos++;
      skipSpace(c);
    }
    if (c.pos !== c.text.length) return undefined;
    return { value };
  } catch (err) {
    if (err instanceof NotLiteral) return undefined;
    throw err;
  }
}

/** What an INI inventory value becomes in Ansible: the literal, else the text unchanged. */
export function iniValue(text: string): unknown {
  const lit = literalEval(text);
  return lit === undefined ? text : lit.value;
}
