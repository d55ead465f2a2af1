import { describe, expect, it } from 'vitest';
import type { AnsibleEvent } from '../../../src/ansible/events.ts';
import { access as accessSchema } from '../../../src/config/schema/access.ts';
import { parsePublicKey } from '../../../src/config/ssh-public-key.ts';
import type { PublicKey } from '../../../src/config/types.ts';
import { keyDelta, keyLabel, parseAuthorizedKeys } from '../../../src/ssh-keys/authorized-keys.ts';
import { accountsFor, authorizedKeysText, MANAGED_HEADER } from '../../../src/ssh-keys/desired.ts';
import { guardRunnerKey } from '../../../src/ssh-keys/guard.ts';
import { planFromCheckRun } from '../../../src/ssh-keys/plan.ts';
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

describe('plan from a check run', () => {
  const hostOk = (task: string, result: Record<string, unknown>): AnsibleEvent => ({
    event: 'host_ok',
    host: 'web02',
    task: `/repo/roles/ssh_keys : ${task}`,
    action: 'x',
    uuid: 'u',
    changed: false,
    result,
    diff: [],
  });
  const accounts = () => accountsFor(ACCESS, KEYS, { name: 'web02', groups: ['all', 'web'] });

  it('lists per host and user the users created and the keys added and removed', () => {
    const guarded = guardRunnerKey(accounts(), { user: 'root', key: key('runner') }, false, 'web02');
    const events: AnsibleEvent[] = [
      hostOk('Create missing groups', { results: [{ item: 'docker', changed: true }] }),
      hostOk('Create users, set their shell and groups', {
        results: [
          { item: { name: 'root' }, changed: false },
          { item: { name: 'deploy' }, changed: true },
        ],
      }),
      hostOk('Read the accounts', { ansible_facts: { getent_passwd: { root: ['x', '0'] } } }),
      hostOk('Write authorized_keys', {
        results: [
          {
            item: { name: 'root' },
            changed: true,
            diff: {
              before: `${LINES.bob}\n${LINES.runner}\n`,
              after: `# h\n${LINES.alice}\n${LINES.runner}\n`,
            },
          },
          { item: { name: 'deploy' }, skipped: true },
        ],
      }),
    ];
    const plan = planFromCheckRun({ events }, [
      { host: 'web02', guarded, runner: { user: 'root', key: key('runner') } },
    ]);
    expect(plan).toEqual([
      { host: 'web02', action: 'add', subject: 'group docker' },
      { host: 'web02', action: 'add', subject: `authorized_keys root: ${keyLabel(key('alice'))}` },
      { host: 'web02', action: 'remove', subject: `authorized_keys root: ${keyLabel(key('bob'))}` },
      {
        host: 'web02',
        action: 'change',
        subject: `authorized_keys root: keeps Slipway's own key ${keyLabel(key('runner'))}`,
        detail: 'not listed in infra/access.yml; set rotate_runner_key: true to remove it',
      },
      { host: 'web02', action: 'add', subject: 'user deploy', detail: 'shell /bin/bash, groups docker' },
      { host: 'web02', action: 'add', subject: `authorized_keys deploy: ${keyLabel(key('alice'))}` },
      { host: 'web02', action: 'add', subject: `authorized_keys deploy: ${keyLabel(key('bob'))}` },
    ]);
  });

  it('plans an account its host record names but access.yml no longer lists: removed with each key it loses', () => {
    const guarded = guardRunnerKey(accounts(), { user: 'root', key: key('runner') }, false, 'web02');
    const events: AnsibleEvent[] = [
      hostOk('Read the accounts', { ansible_facts: { getent_passwd: { root: [], deploy: [], carol: [] } } }),
      hostOk('Find the offboarded accounts', { ansible_facts: { ssh_keys_offboarded: ['carol'] } }),
      hostOk('Remove every key of offboarded accounts', {
        results: [
          {
            item: 'carol',
            changed: true,
            diff: { before: `${MANAGED_HEADER}\n${LINES.bob}\n`, after: `${MANAGED_HEADER}\n` },
          },
        ],
      }),
    ];
    const removed = (offboard: 'lock' | 'remove', effect: string) =>
      expect(planFromCheckRun({ events }, [{ host: 'web02', guarded }], offboard)).toEqual([
        {
          host: 'web02',
          action: 'remove',
          subject: 'user carol',
          detail: `not in infra/access.yml any more: every key removed, then ${effect}`,
        },
        { host: 'web02', action: 'remove', subject: `authorized_keys carol: ${keyLabel(key('bob'))}` },
      ]);
    removed('lock', 'the account locked (expired; offboard: lock)');
    removed('remove', 'the account removed, its home directory kept (offboard: remove)');
  });

  it('accepts keys: [] (an account with no key) and offboard: lock|remove, defaulting to lock', () => {
    const parsed = accessSchema.parse({ users: { ci: { keys: [] } } });
    expect(parsed.offboard).toBe('lock');
    expect(accountsFor(parsed, KEYS, { name: 'h', groups: ['all'] })[0]!.keys).toEqual([]);
    expect(authorizedKeysText([])).toBe(`${MANAGED_HEADER}\n`);
    expect(accessSchema.safeParse({ offboard: 'delete', users: {} }).success).toBe(false);
  });

  it('is empty when nothing changed, and names a rewrite with the same keys', () => {
    const guarded = guardRunnerKey(accounts(), { user: 'root', key: key('runner') }, false, 'web02');
    const passwd = hostOk('Read the accounts', {
      ansible_facts: { getent_passwd: { root: [], deploy: [] } },
    });
    expect(planFromCheckRun({ events: [passwd] }, [{ host: 'web02', guarded }])).toEqual([]);
    const rewrite = hostOk('Write authorized_keys', {
      results: [
        {
          item: { name: 'deploy' },
          changed: true,
          diff: { before: LINES.alice, after: `# h\n${LINES.alice}` },
        },
      ],
    });
    expect(planFromCheckRun({ events: [passwd, rewrite] }, [{ host: 'web02', guarded }])).toEqual([
      {
        host: 'web02',
        action: 'change',
        subject: 'authorized_keys deploy: rewritten with the same keys',
        detail: 'comments, options, order or file mode differ',
      },
    ]);
  });
});
