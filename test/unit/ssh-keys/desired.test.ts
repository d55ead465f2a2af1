import { describe, expect, it } from 'vitest';
import { accountsFor, authorizedKeysText, MANAGED_HEADER } from '../../../src/ssh-keys/desired.ts';
import { roleUsers } from '../../../src/ssh-keys/role.ts';
import { ACCESS, KEY_LINES, KEYS, key } from '../../support/ssh-key-fixtures.ts';

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
      `${MANAGED_HEADER}\n${KEY_LINES.alice}\n${KEY_LINES.bob}\n`,
    );
    const [u] = roleUsers([{ name: 'root', shell: '/bin/sh', groups: [], keys: [key('alice')] }]);
    expect(u).toEqual({
      name: 'root',
      shell: '/bin/sh',
      groups: [],
      keys: [{ blob: key('alice').base64, line_b64: Buffer.from(KEY_LINES.alice).toString('base64') }],
      content_b64: Buffer.from(`${MANAGED_HEADER}\n${KEY_LINES.alice}\n`).toString('base64'),
    });
  });
});
