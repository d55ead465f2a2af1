import type { HostEvent } from '../ansible/events.ts';
import type { PlaybookResult } from '../ansible/runner.ts';
import type { Offboard } from '../config/schema/access.ts';
import type { Change } from '../core/changes.ts';
import { type AuthorizedKey, keyDelta, keyLabel, parseAuthorizedKeys } from './authorized-keys.ts';
import type { Account } from './desired.ts';
import type { Guarded, RunnerLogin } from './guard.ts';
import { ROLE_TASKS } from './role.ts';

/** What the plan of one host is made from: its guarded accounts and who Slipway logs in as. */
export interface HostPlanInput {
  host: string;
  guarded: Guarded;
  runner?: RunnerLogin;
}

type LoopItem = { item?: { name?: unknown } | string; changed?: boolean; skipped?: boolean; diff?: unknown };

// Events name a role's task `<role path> : <task name>`.
const isTask = (e: HostEvent, task: string) => e.task === task || e.task.endsWith(` : ${task}`);

function itemsOf(events: readonly HostEvent[], host: string, task: string): LoopItem[] {
  const e = events.find((x) => x.host === host && isTask(x, task) && x.event === 'host_ok');
  const results = e?.result['results'];
  return Array.isArray(results) ? (results as LoopItem[]) : [];
}

function itemName(i: LoopItem): string | undefined {
  if (typeof i.item === 'string') return i.item;
  return typeof i.item?.name === 'string' ? i.item.name : undefined;
}

function diffTexts(diff: unknown): { before: string; after: string } {
  const list = Array.isArray(diff) ? diff : diff ? [diff] : [];
  let before = '';
  let after = '';
  for (const d of list as Record<string, unknown>[]) {
    if (typeof d['before'] === 'string') before += d['before'];
    if (typeof d['after'] === 'string') after += d['after'];
  }
  return { before, after };
}

const keyChange = (host: string, user: string, action: 'add' | 'remove', k: AuthorizedKey): Change => ({
  host,
  action,
  subject: `authorized_keys ${user}: ${keyLabel(k)}`,
});

/**
 * The changes a `--check --diff` run of roles/ssh_keys found, per host and user: groups and users
 * created, shell or groups changed, keys added and removed (by comment and SHA256 fingerprint),
 * accounts offboarded.
 */
export function planFromCheckRun(
  result: Pick<PlaybookResult, 'events'>,
  hosts: readonly HostPlanInput[],
  offboard: Offboard = 'lock',
): Change[] {
  const events = result.events.filter((e): e is HostEvent => 'host' in e);
  const changes: Change[] = [];
  for (const { host, guarded, runner } of hosts) {
    for (const g of itemsOf(events, host, ROLE_TASKS.groups))
      if (g.changed) changes.push({ host, action: 'add', subject: `group ${itemName(g)}` });
    const facts = events.find((e) => e.host === host && isTask(e, ROLE_TASKS.accounts))?.result[
      'ansible_facts'
    ];
    const passwd = (facts as { getent_passwd?: Record<string, unknown> } | undefined)?.getent_passwd ?? {};
    const userItems = itemsOf(events, host, ROLE_TASKS.users);
    const writeItems = itemsOf(events, host, ROLE_TASKS.write);
    for (const account of guarded.accounts) {
      const perUser: Change[] = [];
      if (!(account.name in passwd)) {
        const groups = account.groups.length ? `, groups ${account.groups.join(',')}` : '';
        perUser.push({
          host,
          action: 'add',
          subject: `user ${account.name}`,
          detail: `shell ${account.shell}${groups}`,
        });
        for (const k of account.keys) perUser.push(keyChange(host, account.name, 'add', k));
      } else {
        if (userItems.find((i) => itemName(i) === account.name)?.changed) {
          perUser.push({
            host,
            action: 'change',
            subject: `user ${account.name}: shell ${account.shell}, groups ${account.groups.join(',') || '(none added)'}`,
          });
        }
        const written = writeItems.find((i) => itemName(i) === account.name);
        if (written?.changed) perUser.push(...fileChanges(host, account, written));
      }
      if (guarded.kept && runner?.user === account.name && perUser.length > 0) {
        perUser.push({
          host,
          action: 'change',
          subject: `authorized_keys ${account.name}: keeps Slipway's own key ${keyLabel(runner.key)}`,
          detail: 'not listed in infra/access.yml; set rotate_runner_key: true to remove it',
        });
      }
      changes.push(...perUser);
    }
    changes.push(...offboardChanges(events, host, offboard));
  }
  return changes;
}

/** Accounts the host's record names that access.yml no longer lists: the account, then each key it loses. */
function offboardChanges(events: readonly HostEvent[], host: string, offboard: Offboard): Change[] {
  const facts = events.find((e) => e.host === host && isTask(e, ROLE_TASKS.offboarded))?.result[
    'ansible_facts'
  ] as { ssh_keys_offboarded?: unknown } | undefined;
  const names = Array.isArray(facts?.ssh_keys_offboarded) ? (facts.ssh_keys_offboarded as string[]) : [];
  const written = itemsOf(events, host, ROLE_TASKS.offboardKeys);
  return names.flatMap((name): Change[] => {
    const { before } = diffTexts(written.find((i) => itemName(i) === name)?.diff);
    return [
      {
        host,
        action: 'remove',
        subject: `user ${name}`,
        detail: `not in infra/access.yml any more: every key removed, then ${OFFBOARD_EFFECT[offboard]}`,
      },
      ...parseAuthorizedKeys(before).map((k) => keyChange(host, name, 'remove', k)),
    ];
  });
}

const OFFBOARD_EFFECT: Record<Offboard, string> = {
  lock: 'the account locked (expired; offboard: lock)',
  remove: 'the account removed, its home directory kept (offboard: remove)',
};

function fileChanges(host: string, account: Account, written: LoopItem): Change[] {
  const { before, after } = diffTexts(written.diff);
  const { added, removed } = keyDelta(parseAuthorizedKeys(before), parseAuthorizedKeys(after));
  const out = [
    ...added.map((k) => keyChange(host, account.name, 'add', k)),
    ...removed.map((k) => keyChange(host, account.name, 'remove', k)),
  ];
  if (out.length > 0) return out;
  return [
    {
      host,
      action: 'change',
      subject: `authorized_keys ${account.name}: rewritten with the same keys`,
      detail: 'comments, options, order or file mode differ',
    },
  ];
}
