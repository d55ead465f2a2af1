import { describe, expect, it } from 'vitest';
import type { AnsibleEvent } from '../../../src/ansible/events.ts';
import { access as accessSchema } from '../../../src/config/schema/access.ts';
import { keyLabel } from '../../../src/ssh-keys/authorized-keys.ts';
import { accountsFor, authorizedKeysText, MANAGED_HEADER } from '../../../src/ssh-keys/desired.ts';
import { guardRunnerKey } from '../../../src/ssh-keys/guard.ts';
import { planFromCheckRun } from '../../../src/ssh-keys/plan.ts';
import { ACCESS, KEY_LINES, KEYS, key } from '../../support/ssh-key-fixtures.ts';

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
              before: `${KEY_LINES.bob}\n${KEY_LINES.runner}\n`,
              after: `# h\n${KEY_LINES.alice}\n${KEY_LINES.runner}\n`,
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
            diff: { before: `${MANAGED_HEADER}\n${KEY_LINES.bob}\n`, after: `${MANAGED_HEADER}\n` },
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
          diff: { before: KEY_LINES.alice, after: `# h\n${KEY_LINES.alice}` },
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
