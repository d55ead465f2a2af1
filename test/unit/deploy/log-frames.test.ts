import { describe, expect, it } from 'vitest';
import { FrameDecoder, LineSplitter } from '../../../src/deploy/log-frames.ts';
import { frame } from '../../support/docker-frames.ts';

describe('FrameDecoder', () => {
  it('gives each frame once it is complete, whatever the chunking', () => {
    const raw = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'two\n')]);
    const d = new FrameDecoder();
    const got: string[] = [];
    // One byte at a time: headers and payloads split everywhere.
    for (const byte of raw) for (const f of d.push(Buffer.from([byte]))) got.push(`${f.stream}:${f.payload}`);
    expect(got).toEqual(['stdout:out one\n', 'stderr:err\n', 'stdout:two\n']);
  });

  it('keeps a truncated frame until the rest arrives', () => {
    const d = new FrameDecoder();
    const f = frame(2, 'abcdef');
    expect(d.push(f.subarray(0, 10))).toEqual([]);
    expect(d.push(f.subarray(10)).map((x) => x.payload.toString())).toEqual(['abcdef']);
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks, multi-byte characters included, and drops CR', () => {
    const s = new LineSplitter();
    const text = Buffer.from('héllo\r\nwor', 'utf8');
    expect(s.push(text.subarray(0, 2))).toEqual([]);
    expect(s.push(text.subarray(2))).toEqual(['héllo']);
    expect(s.push(Buffer.from('ld\nlast'))).toEqual(['world']);
    expect(s.end()).toEqual(['last']);
    expect(s.end()).toEqual([]);
  });
});
