import { describe, expect, it } from 'vitest';
import { access as accessSchema } from '../../../src/config/schema/access.ts';
import { parsePublicKey } from '../../../src/config/ssh-public-key.ts';
import type { PublicKey } from '../../../src/config/types.ts';
import { accountsFor } from '../../../src/ssh-keys/desired.ts';
import { guardRunnerKey } from '../../../src/ssh-keys/guard.ts';

// Real ed25519 public keys (ssh-keygen output); fingerprints as `ssh-keygen -lf` prints them.
const LINES = {
  alice:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYWJpWsLac43nQJKE2kMz8Dz2TKJd3jZBU35/QPnrNB alice@acme.example',
  bob: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF1UbKFT4CKGaoQKSmN530tW0bVxNywa+qdyD6gPC2Ik bob@acme.example',
  runner:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJcAxHju0ewXsHi959Z9MlnewbZv8pCaV1kzNdSpRgtq deploy@acme.example',
};
const key = (name: keyof typeof LINES): PublicKey => parsePublicKey(name, LINES[name]).key!;
const KEYS = new Map<string, PublicKey>([
  ['alice', key('alice')],
  ['bob', key('bob')],
]);
const ACCESS = accessSchema.parse({
  users: {
    root: { keys: ['alice'] },
    deploy: { keys: ['alice', 'bob', 'alice'], groups: ['docker'] },
    bob: { keys: ['bob'], hosts: ['db', 'web01'] },
  },
});

describe('lock-out guard', () => {
  const accounts = () => accountsFor(ACCESS, KEYS, { name: 'web02', groups: ['all', 'web'] });
  const runner = { user: 'root', key: key('runner') };

  it('keeps the runner key for its user when access.yml does not list it', () => {
    const g = guardRunnerKey(accounts(), runner, false, 'web02');
    expect(g.kept).toBe(true);
    expect(g.rotating).toBe(false);
    expect(g.accounts[0]!.keys.map((k) => k.name)).toEqual(['alice', 'runner']);
    // Other users are not touched.
    expect(g.accounts[1]!.keys.map((k) => k.name)).toEqual(['alice', 'bob']);
  });

  it('changes nothing when the key is listed or its user is not managed', () => {
    expect(guardRunnerKey(accounts(), { user: 'root', key: key('alice') }, false, 'h')).toMatchObject({
      kept: false,
      rotating: false,
    });
    expect(guardRunnerKey(accounts(), { user: 'admin', key: key('runner') }, false, 'h').kept).toBe(false);
  });

  it('rotates only with a next key listed for the user', () => {
    expect(() => guardRunnerKey(accounts(), runner, true, 'web02')).toThrow(
      /set slipway_next_private_key_file/,
    );
    expect(() => guardRunnerKey(accounts(), { ...runner, next: key('bob') }, true, 'web02')).toThrow(
      /is not among the keys infra\/access.yml lists for root/,
    );
    const g = guardRunnerKey(accounts(), { ...runner, next: key('alice') }, true, 'web02');
    expect(g).toMatchObject({ kept: false, rotating: true });
    expect(g.accounts[0]!.keys.map((k) => k.name)).toEqual(['alice']);
  });
});
