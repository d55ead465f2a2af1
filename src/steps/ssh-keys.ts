import { badHosts, describeBadHost, requireEveryHost } from '../ansible/host-failures.ts';
import type { PlaybookResult } from '../ansible/runner.ts';
import { targetHosts } from '../config/inventory/targets.ts';
import type { Access, Offboard } from '../config/schema/access.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change, HostStatus } from '../core/changes.ts';
import { sshTargetOf } from '../remote/from-inventory.ts';
import { requireSshFiles } from '../remote/ssh-files.ts';
import { keyLabel } from '../ssh-keys/authorized-keys.ts';
import { type Account, accountsFor } from '../ssh-keys/desired.ts';
import { freshLogin } from '../ssh-keys/fresh-login.ts';
import { type Guarded, guardRunnerKey, type RunnerLogin } from '../ssh-keys/guard.ts';
import { type HostPlanInput, planFromCheckRun } from '../ssh-keys/plan.ts';
import { type RolePhase, runSshKeysRole } from '../ssh-keys/role.ts';
import { nextKeyFileOf, runnerLoginOf } from '../ssh-keys/runner-key.ts';
import { errorMessage } from '../util/errors.ts';
import type { SshKeysStep } from './kinds/ssh-keys.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

/** One target host: its accounts after the lock-out guard, and how Slipway logs in to it. */
interface HostSetup extends HostPlanInput {
  inventoryHost: InventoryHost;
  /** The private key whose fresh login must work before old keys go (undefined: not an SSH host). */
  proofKey?: string;
}

// The config layer loaded and validated every access file an ssh-keys step names.
function accessOf(ctx: StepContext, step: SshKeysStep): Access {
  const access = ctx.repo.accessFiles.get(step['ssh-keys'].access);
  if (!access)
    throw new Error(`${step['ssh-keys'].access} is missing: the ssh-keys step reads who may log in from it`);
  return access;
}

async function setupOf(
  ctx: StepContext,
  step: SshKeysStep,
  access: Access,
  host: InventoryHost,
): Promise<HostSetup> {
  const accounts: Account[] = accountsFor(access, ctx.repo.keys, host);
  if (host.vars['ansible_connection'] === 'local') {
    const guarded: Guarded = { accounts, kept: false, rotating: false };
    return { host: host.name, inventoryHost: host, guarded };
  }
  const runner: RunnerLogin = await runnerLoginOf(host, ctx.repo.root);
  const guarded = guardRunnerKey(accounts, runner, step['ssh-keys'].rotate_runner_key, host.name);
  if (guarded.kept) {
    ctx.log(
      `keeping Slipway's own key ${keyLabel(runner.key)} for ${runner.user}: ${step['ssh-keys'].access} does not list it (rotate_runner_key is false)`,
      { host: host.name },
    );
  }
  const proofKey = guarded.rotating
    ? nextKeyFileOf(host, ctx.repo.root)
    : sshTargetOf(host, ctx.repo.root).identityFile;
  return { host: host.name, inventoryHost: host, guarded, runner, ...(proofKey ? { proofKey } : {}) };
}

async function setupsOf(ctx: StepContext, step: SshKeysStep): Promise<HostSetup[]> {
  const access = accessOf(ctx, step);
  const hosts = targetHosts('ssh-keys', ctx.inventory, step['ssh-keys'].hosts);
  if (hosts.length > 0) requireSshFiles(hosts, ctx.repo.root, ctx.inventory!.dir);
  return Promise.all(hosts.map((h) => setupOf(ctx, step, access, h)));
}

// One run of the role on every target host; hosts it failed on are reported, then the step fails.
async function runRole(
  ctx: StepContext,
  offboard: Offboard,
  setups: readonly HostSetup[],
  phase: RolePhase,
  check: boolean,
  someHostsSuffice = false,
): Promise<PlaybookResult> {
  const result = await runSshKeysRole({
    inventory: ctx.inventory!,
    accounts: new Map(setups.map((s) => [s.host, s.guarded.accounts])),
    // The account Slipway logs in as is never offboarded, even when the access file stops listing it.
    keep: new Map(setups.map((s) => [s.host, s.runner ? [s.runner.user] : []])),
    offboard,
    phase,
    check,
    root: ctx.repo.root,
    signal: ctx.signal,
    log: (line, host) => ctx.log(line, host ? { host } : undefined),
  });
  if (!check) {
    for (const s of setups) {
      const o = result.hosts[s.host];
      if (o === 'unreachable') ctx.hostStatus(s.host, 'unreachable', `roles/ssh_keys (${phase})`);
      else if (o === undefined || o === 'failed')
        ctx.hostStatus(s.host, 'failed', `roles/ssh_keys (${phase})`);
    }
  }
  const hosts = setups.map((s) => s.host);
  // A plan goes on when some hosts answered (as long as the run itself worked); apply needs every one.
  const finished = result.status === 'successful' || (result.status === 'failed' && result.rc !== -1);
  const answered = finished && badHosts(result, hosts).length < hosts.length;
  if (!(someHostsSuffice && answered)) requireEveryHost('roles/ssh_keys', result, hosts);
  return result;
}

// Each host's own proof: the runner's key (or, for a rotation, the next key) logs in on a new connection.
async function proveLogins(ctx: StepContext, setups: readonly HostSetup[], when: string): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    setups.map(async (s) => {
      if (!s.proofKey || !s.runner) return;
      try {
        await freshLogin(s.inventoryHost, ctx.repo.root, s.proofKey);
        const which = s.guarded.rotating
          ? 'the next key (slipway_next_private_key_file)'
          : "Slipway's own key";
        ctx.log(`fresh login as ${s.runner.user} with ${which} works ${when}`, { host: s.host });
      } catch (err) {
        const msg = errorMessage(err);
        ctx.hostStatus(s.host, 'failed', `fresh login failed ${when}: ${msg}`);
        failures.push(`${s.host}: ${msg}`);
      }
    }),
  );
  if (failures.length > 0) throw new Error(`ssh-keys: fresh login failed ${when}: ${failures.join('; ')}`);
}

/** The `ssh-keys` step kind: authorized_keys per host and user exactly as infra/access.yml says, never locking Slipway out. */
export const sshKeysHandler: StepHandler<SshKeysStep> = {
  async plan(ctx, step) {
    const setups = await setupsOf(ctx, step);
    if (setups.length === 0) return [];
    const result = await runRole(ctx, accessOf(ctx, step).offboard, setups, 'exact', true, true);
    // Hosts the check could not reach are shown as such, with why; the others are planned.
    const bad = badHosts(
      result,
      setups.map((s) => s.host),
    );
    const good = setups.filter((s) => !bad.includes(s.host));
    return [
      ...planFromCheckRun(result, good, accessOf(ctx, step).offboard),
      ...bad.map(
        (h): Change => ({
          host: h,
          action: 'change',
          subject: `not planned: ${describeBadHost(result, h)}`,
          detail: 'the run fails on this host unless it is fixed first; re-plan once it answers',
        }),
      ),
    ];
  },

  async apply(ctx, step): Promise<StepResult> {
    const setups = await setupsOf(ctx, step);
    if (setups.length === 0) return { changed: false, hosts: {} };
    for (const s of setups) ctx.hostStatus(s.host, 'running');
    // Two phases: listed keys are added next to the old ones, a fresh login proves access, and only
    // then each file becomes the exact set. A failure in between leaves a superset, never a lock-out.
    const added = await runRole(ctx, accessOf(ctx, step).offboard, setups, 'add', false);
    await proveLogins(ctx, setups, 'after adding the listed keys (old keys still in place)');
    const exact = await runRole(ctx, accessOf(ctx, step).offboard, setups, 'exact', false);
    await proveLogins(ctx, setups, 'after removing unlisted keys');
    const hosts: Record<string, HostStatus> = {};
    for (const s of setups) {
      const changed = added.hosts[s.host] === 'changed' || exact.hosts[s.host] === 'changed';
      hosts[s.host] = changed ? 'changed' : 'ok';
      ctx.hostStatus(s.host, hosts[s.host]!);
    }
    return { changed: Object.values(hosts).includes('changed'), hosts };
  },
};
