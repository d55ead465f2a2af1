import { describe, expect, it } from 'vitest';
import { access as accessSchema } from '../../../src/config/schema/access.ts';
import { parsePublicKey } from '../../../src/config/ssh-public-key.ts';
import type { PublicKey } from '../../../src/config/types.ts';
import { accountsFor, authorizedKeysText, MANAGED_HEADER } from '../../../src/ssh-keys/desired.ts';
import { roleUsers } from '../../../src/ssh-keys/role.ts';

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

describe('desired accounts per host', () => {
  it('gives each host the users whose hosts name all, one of its groups, or the host itself', () => {
    const web01 = accountsFor(ACCESS, KEYS, { name: 'web01', groups: ['all', 'web'] });
    const web02 = accountsFor(ACCESS, KEYS, { name: 'web02', groups: ['all', 'web'] });
    const db = accountsFor(ACCESS, KEYS, { name: 'db1', groups: ['all', 'db'] });
    expect(web01.map((a) => a.name)).toEqual(['root', 'deploy', 'bob']);
    expect(web02.map((a) => a.name)).toEqual(['root', 'deploy']);
    expect(db.map((a) => a.name)).toEqual(['root', 'deploy', 'bob']);
    // A key listed twice counts once; shell and groups come from access.yml.
    expect(web02[1]).toMatchObject({ shell: '/bin/bash', groups: ['docker'] });
    expect(web02[1]!.keys.map((k) => k.name)).toEqual(['alice', 'bob']);
  });

  it('names a key with no file', () => {
    expect(() => accountsFor(ACCESS, new Map(), { name: 'h', groups: ['all'] })).toThrow(
      'infra/access.yml: user root: no key "alice" in infra/ssh-keys/',
    );
  });

  it('renders the exact file and the role input with base64 lines', () => {
    expect(authorizedKeysText([key('alice'), key('bob')])).toBe(
      `${MANAGED_HEADER}\n${LINES.alice}\n${LINES.bob}\n`,
    );
    const [u] = roleUsers([{ name: 'root', shell: '/bin/sh', groups: [], keys: [key('alice')] }]);
    expect(u).toEqual({
      name: 'root',
      shell: '/bin/sh',
      groups: [],
      keys: [{ blob: key('alice').base64, line_b64: Buffer.from(LINES.alice).toString('base64') }],
      content_b64: Buffer.from(`${MANAGED_HEADER}\n${LINES.alice}\n`).toString('base64'),
    });
  });
});
