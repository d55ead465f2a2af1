import { describe, expect, it } from 'vitest';
import { demuxLogs } from '../../../src/deploy/host-docker.ts';

// One frame of the engine's multiplexed log stream: stream byte, 3 zero bytes, big-endian length.
function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt8(stream, 0);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('demuxLogs', () => {
  it('joins stdout and stderr payloads in arrival order, headers stripped', () => {
    const raw = Buffer.concat([
      frame(1, 'listening on 8080\n'),
      frame(2, 'GET /healthz 500\n'),
      frame(1, 'ü\n'),
    ]);
    expect(demuxLogs(raw)).toBe('listening on 8080\nGET /healthz 500\nü\n');
  });

  it('gives nothing for an empty stream and drops a truncated trailing header', () => {
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
    expect(demuxLogs(Buffer.concat([frame(1, 'a\n'), Buffer.from([1, 0, 0])]))).toBe('a\n');
  });
});
