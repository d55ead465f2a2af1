import { describe, expect, it } from 'vitest';
import { demuxLogs } from '../../../src/deploy/host-docker.ts';
import { frame } from '../../support/docker-frames.ts';

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
