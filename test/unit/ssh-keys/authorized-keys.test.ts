import { describe, expect, it } from 'vitest';
import { keyDelta, keyLabel, parseAuthorizedKeys } from '../../../src/ssh-keys/authorized-keys.ts';
import { KEY_LINES, key } from '../../support/ssh-key-fixtures.ts';

describe('authorized_keys parsing', () => {
  it('reads keys with options and comments, skipping blanks, comments and junk', () => {
    const text = `# header\n\n${KEY_LINES.alice}\nfrom="10.0.0.1",no-pty ${KEY_LINES.bob}\nnot a key line\nssh-ed25519 !!notbase64\n`;
    const keys = parseAuthorizedKeys(text);
    expect(keys.map((k) => keyLabel(k))).toEqual([
      `alice@acme.example (${key('alice').fingerprint})`,
      `bob@acme.example (${key('bob').fingerprint})`,
    ]);
    expect(keyLabel({ type: 'ssh-ed25519', comment: '', fingerprint: 'SHA256:x' })).toBe(
      'ssh-ed25519 (SHA256:x)',
    );
  });

  it('compares key sets by key data, not by comment', () => {
    const before = parseAuthorizedKeys(`${KEY_LINES.alice}\n${KEY_LINES.runner}\n`);
    const after = parseAuthorizedKeys(
      `${KEY_LINES.alice.replace('alice@acme.example', 'renamed')}\n${KEY_LINES.bob}\n`,
    );
    const d = keyDelta(before, after);
    expect(d.added.map((k) => k.comment)).toEqual(['bob@acme.example']);
    expect(d.removed.map((k) => k.comment)).toEqual(['deploy@acme.example']);
  });
});
