import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureReason } from '../ansible/host-failures.ts';
import { roleDir } from '../ansible/roles.ts';
import { type PlaybookResult, runPlaybook } from '../ansible/runner.ts';
import type { Offboard } from '../config/schema/access.ts';
import type { Inventory, InventoryHost } from '../config/types.ts';
import { knownHostsFilesOf } from '../remote/from-inventory.ts';
import { type Account, authorizedKeysText } from './desired.ts';

/** Task names of roles/ssh_keys the plan reads results from (a repository's own roles/ssh_keys keeps them). */
export const ROLE_TASKS = {
  groups: 'Create missing groups',
  users: 'Create users, set their shell and groups',
  accounts: 'Read the accounts',
  write: 'Write authorized_keys',
  offboarded: 'Find the offboarded accounts',
  offboardKeys: 'Remove every key of offboarded accounts',
} as const;

/** `add`: put listed keys in place, keeping the others; `exact`: write each exact file. */
export type RolePhase = 'add' | 'exact';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The role's `ssh_keys_users` for these accounts (key lines base64-encoded, so Jinja never sees them). */
export function roleUsers(accounts: readonly Account[]): Record<string, unknown>[] {
  return accounts.map((a) => ({
    name: a.name,
    shell: a.shell,
    groups: a.groups,
    keys: a.keys.map((k) => ({ blob: k.base64, line_b64: b64(k.line) })),
    content_b64: b64(authorizedKeysText(a.keys)),
  }));
}

/** One run of roles/ssh_keys. */
export interface RoleRun {
  inventory: Inventory;
  /** Host -> its accounts (after the lock-out guard). */
  accounts: ReadonlyMap<string, readonly Account[]>;
  /** Host -> the accounts never offboarded there (the one Slipway logs in as). */
  keep: ReadonlyMap<string, readonly string[]>;
  /** What happens to a managed account no longer listed, once its keys are gone. */
  offboard: Offboard;
  phase: RolePhase;
  /** `--check --diff`: the plan. */
  check: boolean;
  root: string;
  signal?: AbortSignal;
  log?: (line: string, host?: string) => void;
}

/** Runs roles/ssh_keys (the repository's own, else Slipway's) on the hosts of `accounts` through the Ansible wrapper; per-host outcomes are in the result. */
export async function runSshKeysRole(run: RoleRun): Promise<PlaybookResult> {
  const hosts: InventoryHost[] = [...run.accounts.keys()].map((n) => run.inventory.hosts.get(n)!);
  const dir = await mkdtemp(join(tmpdir(), 'slipway-ssh-keys-role-'));
  try {
    const playbook = join(dir, 'ssh-keys.yml');
    const play = {
      hosts: 'all',
      gather_facts: false,
      roles: [
        {
          role: roleDir('ssh_keys', run.root),
          vars: {
            ssh_keys_users: '{{ slipway_ssh_keys[inventory_hostname] }}',
            ssh_keys_keep: '{{ slipway_ssh_keys_keep[inventory_hostname] | default([]) }}',
            ssh_keys_phase: run.phase,
            ssh_keys_offboard: run.offboard,
            ssh_keys_offboarded_content_b64: b64(authorizedKeysText([])),
          },
        },
      ],
    };
    // JSON is YAML: the role path needs no quoting rules of its own.
    await writeFile(playbook, JSON.stringify([play]));
    const byHost = Object.fromEntries([...run.accounts].map(([h, a]) => [h, roleUsers(a)]));
    // Awaited here: the playbook file goes with the temp dir in `finally`.
    const result = await runPlaybook({
      playbook,
      inventory: [run.inventory.dir],
      cwd: run.root,
      limit: hosts.map((h) => h.name),
      extraVars: { slipway_ssh_keys: byHost, slipway_ssh_keys_keep: Object.fromEntries(run.keep) },
      check: run.check,
      diff: true,
      knownHosts: knownHostsFilesOf(hosts, run.root),
      timeoutMs: 5 * 60_000,
      ...(run.signal ? { signal: run.signal } : {}),
      onEvent: (e) => {
        if (e.event === 'host_failed' && !e.ignore_errors)
          run.log?.(`roles/ssh_keys: ${e.task}: ${failureReason(e)}`, e.host);
        else if (e.event === 'host_unreachable')
          run.log?.(`roles/ssh_keys: unreachable: ${failureReason(e)}`, e.host);
      },
    });
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
