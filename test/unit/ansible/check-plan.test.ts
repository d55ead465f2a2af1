import { describe, expect, it } from 'vitest';
import { diffText, planFromCheckRun } from '../../../src/ansible/check-plan.ts';
import type { AnsibleEvent, HostEvent } from '../../../src/ansible/events.ts';

// Events shaped as src/ansible/callback/slipway_events.py writes them for ansible-core 2.14 in check mode.
function hostEvent(
  event: HostEvent['event'],
  host: string,
  task: string,
  result: Record<string, unknown>,
  diff: Record<string, unknown>[] = [],
): AnsibleEvent {
  const base = {
    host,
    task,
    action: 'copy',
    uuid: `u-${task}`,
    changed: result['changed'] === true,
    result,
    diff,
  };
  return (
    event === 'host_failed' ? { event, ...base, ignore_errors: false } : { event, ...base }
  ) as AnsibleEvent;
}

const copyArgs = (dest: string) => ({ invocation: { module_args: { dest, content: 'NOT SHOWN' } } });
const same = (t: string) => t;

describe('planFromCheckRun', () => {
  it('makes one change per task a host would change, with its diff, hosts by name', () => {
    const events: AnsibleEvent[] = [
      { event: 'playbook_start', playbook: 'site.yml', check: true, diff: true },
      hostEvent('host_ok', 'web2', 'Write the motd', { changed: true, ...copyArgs('/etc/motd') }, [
        { before: 'old\n', after: 'new\n', after_header: '/tmp/ansible-local-123/tmpabc' },
      ]),
      hostEvent('host_ok', 'web1', 'Write the motd', { changed: true, ...copyArgs('/etc/motd') }, [
        { before: '', after: 'new\n' },
      ]),
      hostEvent('host_ok', 'web1', 'Read the release', { changed: false }),
      {
        event: 'stats',
        processed: ['web1', 'web2'],
        ok: {},
        changed: {},
        failures: {},
        dark: {},
        skipped: {},
        rescued: {},
        ignored: {},
      },
    ];
    expect(planFromCheckRun({ events }, same)).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: 'Write the motd: /etc/motd',
        detail: '@@ -0,0 +1,1 @@\n+new',
      },
      {
        host: 'web2',
        action: 'change',
        subject: 'Write the motd: /etc/motd',
        detail: '@@ -1,1 +1,1 @@\n-old\n+new',
      },
    ]);
  });

  it('shows no detail of a no_log task, also in a loop', () => {
    const events = [
      hostEvent('host_ok', 'web1', 'Write the token', {
        changed: true,
        censored: 'the output has been hidden',
      }),
      hostEvent('host_ok', 'web1', 'Write tokens', {
        changed: true,
        results: [{ changed: true, censored: 'hidden', item: 'x' }],
      }),
    ];
    const plan = planFromCheckRun({ events }, same);
    expect(plan.map((c) => c.detail)).toEqual([
      'details hidden: the task sets no_log',
      'item "x"\ndetails hidden: the task sets no_log',
    ]);
  });

  it("lists a loop's changed items with their own diffs", () => {
    const events = [
      hostEvent('host_ok', 'web1', 'Users', {
        changed: true,
        results: [
          { changed: false, item: 'alice' },
          {
            changed: true,
            item: { name: 'bob' },
            diff: { before: { state: 'absent' }, after: { state: 'present' } },
          },
        ],
      }),
    ];
    expect(planFromCheckRun({ events }, same)).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: 'Users',
        detail:
          'item {"name":"bob"}\n@@ -1,3 +1,3 @@\n {\n-    "state": "absent"\n+    "state": "present"\n }',
      },
    ]);
  });

  it('names a file created as add and one deleted as remove', () => {
    const dir = (before: string, after: string) =>
      hostEvent('host_ok', 'web1', `${before} to ${after}`, { changed: true }, [
        { before: { path: '/srv/x', state: before }, after: { path: '/srv/x', state: after } },
      ]);
    expect(
      planFromCheckRun(
        { events: [dir('absent', 'directory'), dir('file', 'absent'), dir('file', 'link')] },
        same,
      ).map((c) => c.action),
    ).toEqual(['add', 'remove', 'change']);
  });

  it('says which tasks check mode cannot run, and where the check stopped or could not connect', () => {
    const events = [
      hostEvent('host_skipped', 'web1', 'Reload', { msg: 'Command would have run if not in check mode' }),
      hostEvent('host_skipped', 'web1', 'Only on Debian', { skip_reason: 'Conditional result was False' }),
      hostEvent('host_failed', 'web1', 'Edit the file', { msg: 'Destination /etc/x does not exist !' }),
      hostEvent('host_unreachable', 'web2', 'Gathering Facts', {
        msg: 'ssh: connect to host 10.0.0.2 port 22: Connection refused',
        unreachable: true,
      }),
    ];
    const plan = planFromCheckRun({ events }, same);
    expect(plan.map((c) => `${c.host} ${c.action} ${c.subject}`)).toEqual([
      'web1 run Reload: runs on apply (Command would have run if not in check mode)',
      'web1 change check failed at Edit the file: Destination /etc/x does not exist !',
      'web2 change not planned: unreachable: ssh: connect to host 10.0.0.2 port 22: Connection refused',
    ]);
  });

  it('masks subjects and diffs', () => {
    const events = [
      hostEvent('host_ok', 'web1', 'Write s3cret-value', { changed: true }, [
        { before: '', after: 'password=s3cret-value\n' },
      ]),
    ];
    const mask = (t: string) => t.replaceAll('s3cret-value', '***');
    expect(planFromCheckRun({ events }, mask)).toEqual([
      { host: 'web1', action: 'change', subject: 'Write ***', detail: '@@ -0,0 +1,1 @@\n+password=***' },
    ]);
  });
});

describe('diffText', () => {
  it("keeps a module's prepared diff as written and cuts a long one", () => {
    expect(diffText([{ prepared: '+ line\n' }])).toBe('+ line');
    const long = diffText([
      { before: '', after: `${Array.from({ length: 500 }, (_, i) => `l${i}`).join('\n')}\n` },
    ]);
    expect(long.split('\n')).toHaveLength(401);
    expect(long.endsWith('... 101 more lines')).toBe(true);
  });
});
