import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../src/config/ssh-public-key.ts';
import type { PublicKey } from '../../../src/config/types.ts';
import { keyDelta, keyLabel, parseAuthorizedKeys } from '../../../src/ssh-keys/authorized-keys.ts';

// Real ed25519 public keys (ssh-keygen output); fingerprints as `ssh-keygen -lf` prints them.
const LINES = {
  alice:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYWJpWsLac43nQJKE2kMz8Dz2TKJd3jZBU35/QPnrNB alice@acme.example',
  bob: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF1UbKFT4CKGaoQKSmN530tW0bVxNywa+qdyD6gPC2Ik bob@acme.example',
  runner:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJcAxHju0ewXsHi959Z9MlnewbZv8pCaV1kzNdSpRgtq deploy@acme.example',
};
const key = (name: keyof typeof LINES): PublicKey => parsePublicKey(name, LINES[name]).key!;

describe('authorized_keys parsing', () => {
  it('reads keys with options and comments, skipping blanks, comments and junk', () => {
    const text = `# header\n\n${LINES.alice}\nfrom="10.0.0.1",no-pty ${LINES.bob}\nnot a key line\nssh-ed25519 !!notbase64\n`;
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
    const before = parseAuthorizedKeys(`${LINES.alice}\n${LINES.runner}\n`);
    const after = parseAuthorizedKeys(
      `${LINES.alice.replace('alice@acme.example', 'renamed')}\n${LINES.bob}\n`,
    );
    const d = keyDelta(before, after);
    expect(d.added.map((k) => k.comment)).toEqual(['bob@acme.example']);
    expect(d.removed.map((k) => k.comment)).toEqual(['deploy@acme.example']);
  });
});
