import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame, FRAME_MAGIC } from '../../../src/server/spool-frames.ts';

const records = ['{"id":"github:a"}', '{"id":"github:b","payload":"é ✓"}', '{"id":"github:c"}'];
const frames = records.map((r) => encodeFrame(Buffer.from(r, 'utf8')));
const texts = (bytes: Buffer) => decodeFrames(bytes).payloads.map((p) => p.toString('utf8'));

describe('spool frames', () => {
  it('reads back every record appended, in order', () => {
    expect(decodeFrames(Buffer.concat(frames))).toEqual({
      payloads: records.map((r) => Buffer.from(r, 'utf8')),
      skippedBytes: 0,
    });
    expect(decodeFrames(Buffer.alloc(0))).toEqual({ payloads: [], skippedBytes: 0 });
  });

  it('skips a last record torn at any byte by a crash, keeping the ones before it', () => {
    const whole = Buffer.concat(frames.slice(0, 2));
    const last = frames[2]!;
    for (let cut = 1; cut < last.length; cut++) {
      const torn = Buffer.concat([whole, last.subarray(0, cut)]);
      const decoded = decodeFrames(torn);
      expect(
        decoded.payloads.map((p) => p.toString('utf8')),
        `cut at ${cut}`,
      ).toEqual(records.slice(0, 2));
      expect(decoded.skippedBytes, `cut at ${cut}`).toBe(cut);
    }
  });

  it('finds the records appended after a torn one (the next process appends after the tail)', () => {
    const torn = frames[1]!.subarray(0, 20);
    const bytes = Buffer.concat([frames[0]!, torn, frames[2]!]);
    expect(texts(bytes)).toEqual([records[0], records[2]]);
    expect(decodeFrames(bytes).skippedBytes).toBe(20);
  });

  it('skips a record whose bytes changed (CRC), and one whose length field changed', () => {
    const flipped = Buffer.from(frames[1]!);
    flipped[flipped.length - 2]! ^= 0x01;
    expect(texts(Buffer.concat([frames[0]!, flipped, frames[2]!]))).toEqual([records[0], records[2]]);
    const longer = Buffer.from(frames[1]!);
    longer.writeUInt32BE(longer.readUInt32BE(4) + 1, 4);
    expect(texts(Buffer.concat([frames[0]!, longer, frames[2]!]))).toEqual([records[0], records[2]]);
  });

  it('starts its magic with a byte UTF-8 never holds, so a JSON payload cannot contain it', () => {
    expect(FRAME_MAGIC[0]).toBe(0xff);
    const payload = Buffer.from(JSON.stringify({ s: '\u00ff\uffff\u{10ffff}' }), 'utf8');
    expect(payload.includes(0xff)).toBe(false);
  });
});
