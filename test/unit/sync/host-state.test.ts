import { describe, expect, it } from 'vitest';
import { parseHostState } from '../../../src/sync/host-state.ts';

const A = '0123456789abcdef0123';
const B = 'fedcba9876543210fedc';

describe('parseHostState', () => {
  it('reads the live manifest and the release ids newest first, skipping anything else', () => {
    const files = { 'index.html': { sha256: 'a'.repeat(64), size: 3, mode: 0o644 } };
    const out = `${JSON.stringify({ id: A, files, commit: 'c', run: '1' })}\n${B}\n${A}\nnotes.txt\n`;
    expect(parseHostState('h1', out)).toEqual({ live: { id: A, files }, releases: [B, A] });
  });

  it('reads a host with nothing synced yet', () => {
    expect(parseHostState('h1', '\n')).toEqual({ releases: [] });
    expect(parseHostState('h1', `\n${A}\n`)).toEqual({ releases: [A] });
  });

  it('refuses a live manifest that is not one, naming the host', () => {
    expect(() => parseHostState('h1', 'garbage\n')).toThrow(
      "h1: expected the live release's manifest.json to be JSON, got garbage",
    );
    expect(() => parseHostState('h1', '{"id":"../x","files":{}}\n')).toThrow(
      /h1: expected .* an id and files/,
    );
  });
});
