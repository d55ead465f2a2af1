/** Which of a container's streams a piece of output came from. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * Decodes the Docker Engine's multiplexed stream (logs and exec of containers without a TTY) as it
 * arrives: each frame is an 8-byte header (stream, 3 zero bytes, big-endian length) and its payload; a
 * frame split across chunks waits for its rest.
 */
export class FrameDecoder {
  #pending = Buffer.alloc(0);

  /** The complete frames `chunk` finishes, in order. */
  push(chunk: Buffer): { stream: OutputStream; payload: Buffer }[] {
    const buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const frames: { stream: OutputStream; payload: Buffer }[] = [];
    let at = 0;
    while (at + 8 <= buf.length) {
      const size = buf.readUInt32BE(at + 4);
      if (at + 8 + size > buf.length) break;
      frames.push({
        stream: buf[at] === 2 ? 'stderr' : 'stdout',
        payload: buf.subarray(at + 8, at + 8 + size),
      });
      at += 8 + size;
    }
    this.#pending = Buffer.from(buf.subarray(at));
    return frames;
  }
}

/** Cuts one stream's chunks into lines; a line split across chunks (or frames) is joined first. */
export class LineSplitter {
  #rest = '';
  readonly #decoder = new TextDecoder('utf-8');

  /** The complete lines `chunk` ends, without their newline. */
  push(chunk: Buffer): string[] {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.#rest = lines.pop()!;
    return lines.map((l) => l.replace(/\r$/, ''));
  }

  /** The last line when the stream ended without a newline. */
  end(): string[] {
    const last = this.#rest + this.#decoder.decode();
    this.#rest = '';
    return last ? [last] : [];
  }
}
