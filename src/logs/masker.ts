/** What a masked secret is replaced with. */
export const MASK = '***';

/** Encoded forms shorter than this are too likely to occur in ordinary output to mask. */
const MIN_ENCODED = 6;

/**
 * The values to mask for a set of secrets: each value, each line of a multi-line value (a PEM key is
 * printed line by line), and the forms a value takes when a tool encodes it (base64 at any byte
 * alignment, as inside a basic-auth header or a docker config; URL-encoding), longest first so the
 * longest match wins.
 */
export function maskValues(secrets: Iterable<string>): string[] {
  const values = new Set<string>();
  for (const s of secrets) {
    if (s.length === 0) continue;
    values.add(s);
    for (const line of s.split(/\r?\n/)) if (line.trim().length >= 4) values.add(line);
    for (const form of encodedForms(s)) if (form.length >= MIN_ENCODED) values.add(form);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** URL-encoded and base64 (standard and URL-safe) forms of a value, wherever it sits in the encoded bytes. */
export function encodedForms(value: string): string[] {
  const forms = [encodeURIComponent(value)];
  const bytes = Buffer.from(value, 'utf8');
  // Base64 packs 3 bytes into 4 characters: the value's characters depend on its offset modulo 3.
  // Characters that mix in bits of the bytes before or after it are dropped.
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const lead = [0, 2, 3][offset]!;
    const trail = (offset + bytes.length) % 3 === 0 ? 0 : 1;
    const form = encoded.slice(lead, encoded.length - trail);
    forms.push(form, form.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...new Set(forms)].filter((f) => f !== value);
}

/** Masks secrets in complete text (no carry). */
export function maskText(text: string, values: readonly string[]): string {
  if (values.length === 0) return text;
  const re = new RegExp(values.map(escapeRegExp).join('|'), 'g');
  return text.replace(re, MASK);
}

/**
 * Masks secrets in a stream of chunks. A secret may be split across chunks, so up to (longest secret - 1)
 * characters that could start a secret are held back until the next chunk (or `end`) shows whether they do.
 */
export class StreamMasker {
  readonly #values: readonly string[];
  readonly #re: RegExp | undefined;
  readonly #firstChars: Set<string>;
  readonly #maxLen: number;
  /** No secret spans a line break, so text up to the last newline can never begin a held-back secret. */
  readonly #singleLine: boolean;
  #carry = '';

  constructor(values: readonly string[]) {
    this.#values = [...values].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
    this.#re = this.#values.length ? new RegExp(this.#values.map(escapeRegExp).join('|'), 'g') : undefined;
    this.#firstChars = new Set(this.#values.map((v) => v[0]!));
    this.#maxLen = this.#values[0]?.length ?? 0;
    this.#singleLine = this.#values.every((v) => !v.includes('\n'));
  }

  /** Takes the next chunk; returns the text that is safe to emit now. */
  push(chunk: string): string {
    if (!this.#re) return chunk;
    const s = this.#carry + chunk;
    let hold = this.#holdIndex(s, 0);
    let out = '';
    let pos = 0;
    this.#re.lastIndex = 0;
    for (let m = this.#re.exec(s); m; m = this.#re.exec(s)) {
      if (m.index >= hold) break;
      out += s.slice(pos, m.index) + MASK;
      pos = m.index + m[0].length;
      // A match that runs into the held tail is masked whole; hold only what follows it.
      if (pos > hold) hold = this.#holdIndex(s, pos);
    }
    out += s.slice(pos, Math.max(pos, hold));
    this.#carry = s.slice(Math.max(pos, hold));
    return out;
  }

  /** Ends the stream: returns the held-back text, masked. */
  end(): string {
    const rest = this.#re ? this.#carry.replace(this.#re, MASK) : this.#carry;
    this.#carry = '';
    return rest;
  }

  /** The first index >= from in the last (maxLen - 1) characters where the rest of `s` could begin a secret. */
  #holdIndex(s: string, from: number): number {
    let start = Math.max(from, s.length - this.#maxLen + 1);
    if (this.#singleLine) start = Math.max(start, s.lastIndexOf('\n') + 1);
    for (let k = start; k < s.length; k++) {
      if (!this.#firstChars.has(s[k]!)) continue;
      const tail = s.slice(k);
      if (this.#values.some((v) => v.length > tail.length && v.startsWith(tail))) return k;
    }
    return s.length;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
