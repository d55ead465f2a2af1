import { access as accessSchema } from '../../src/config/schema/access.ts';
import { parsePublicKey } from '../../src/config/ssh-public-key.ts';
import type { PublicKey } from '../../src/config/types.ts';

// Real ed25519 public keys (ssh-keygen output); fingerprints as `ssh-keygen -lf` prints them.
export const KEY_LINES = {
  alice:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYWJpWsLac43nQJKE2kMz8Dz2TKJd3jZBU35/QPnrNB alice@acme.example',
  bob: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF1UbKFT4CKGaoQKSmN530tW0bVxNywa+qdyD6gPC2Ik bob@acme.example',
  runner:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJcAxHju0ewXsHi959Z9MlnewbZv8pCaV1kzNdSpRgtq deploy@acme.example',
};

/** One of the fixture keys, parsed. */
export const key = (name: keyof typeof KEY_LINES): PublicKey => parsePublicKey(name, KEY_LINES[name]).key!;

/** infra/ssh-keys as loaded: alice and bob. */
export const KEYS = new Map<string, PublicKey>([
  ['alice', key('alice')],
  ['bob', key('bob')],
]);

/** infra/access.yml: alice on root everywhere, both on deploy (docker group), bob on db and web01 only. */
export const ACCESS = accessSchema.parse({
  users: {
    root: { keys: ['alice'] },
    deploy: { keys: ['alice', 'bob', 'alice'], groups: ['docker'] },
    bob: { keys: ['bob'], hosts: ['db', 'web01'] },
  },
});
