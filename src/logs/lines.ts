/** Longest line kept in memory before it is emitted unfinished. */
const MAX_LINE = 1 << 20;

/** Splits a stream of text chunks into lines (without the newline); `end` emits an unfinished last line. */
export class LineSplitter {
  #partial = '';

  /** Takes a chunk; returns the complete lines it finished. */
  push(chunk: string): string[] {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop()!;
    if (this.#partial.length > MAX_LINE) {
      parts.push(this.#partial);
      this.#partial = '';
    }
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** Ends the stream: the unfinished last line, if any. */
  end(): string[] {
    const rest = this.#partial;
    this.#partial = '';
    return rest ? [rest] : [];
  }
}
