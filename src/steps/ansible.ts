import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { planFromCheckRun } from '../ansible/check-plan.ts';
import type { AnsibleEvent } from '../ansible/events.ts';
import { failedHosts, failureReason, runFailure } from '../ansible/host-failures.ts';
import { type PlaybookOptions, type PlaybookResult, runPlaybook } from '../ansible/runner.ts';
import { vaultSecretsUnder } from '../ansible/vault-secrets.ts';
import { targetHosts } from '../config/inventory/targets.ts';
import type { Inventory, InventoryHost } from '../config/types.ts';
import type { HostStatus } from '../core/changes.ts';
import { maskText, maskValues } from '../logs/masker.ts';
import { knownHostsFilesOf } from '../remote/from-inventory.ts';
import { requireSshFiles } from '../remote/ssh-files.ts';
import type { AnsibleStep } from './kinds/ansible.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

/** What one run of an ansible step is made of. */
export interface PlaybookRunInput {
  options: AnsibleStep['ansible'];
  /** The playbook to run: the step's own (relative to `root`), or the play written for its role. */
  playbook: string;
  inventory: Inventory;
  /** The hosts of `options.hosts`, whose known_hosts files are checked against. */
  hosts: readonly InventoryHost[];
  /** The ops repository's checkout: the working directory, where relative paths start. */
  root: string;
  /** `--check --diff`: the plan. */
  check: boolean;
  vaultPasswordFile?: string;
}

/** The wrapper's options for one run of an ansible step (pure: its argv is golden-tested). */
export function playbookOptionsOf(input: PlaybookRunInput): PlaybookOptions {
  const o = input.options;
  return {
    playbook: input.playbook,
    inventory: [input.inventory.dir],
    cwd: input.root,
    limit: [o.hosts],
    tags: o.tags,
    ...(Object.keys(o.extra_vars).length > 0 ? { extraVars: o.extra_vars } : {}),
    check: input.check,
    // The plan shows what would change; the apply's log stays the play's own lines.
    diff: input.check,
    knownHosts: knownHostsFilesOf(input.hosts, input.root),
    // Roles by name: the step's role (its folder first; absolute for a built-in role), then the
    // repository's roles/, as an ops repo's ansible.cfg would set roles_path.
    rolesPath: [...(o.role ? [resolve(input.root, dirname(o.role))] : []), join(input.root, 'roles')],
    ...(input.vaultPasswordFile ? { vaultPasswordFile: input.vaultPasswordFile } : {}),
  };
}

/** Runs `fn` with the playbook of the step: its own, or a one-play playbook of its role in a temp dir. */
async function withPlaybook<T>(
  options: AnsibleStep['ansible'],
  fn: (playbook: string) => Promise<T>,
): Promise<T> {
  if (options.playbook !== undefined) return fn(options.playbook);
  const dir = await mkdtemp(join(tmpdir(), 'slipway-ansible-role-'));
  try {
    const playbook = join(dir, 'role.yml');
    // The role by name, found through roles_path: its tasks are named `<role> : <task>`, not by the path
    // of a checkout. JSON is YAML: the name needs no quoting rules of its own.
    await writeFile(playbook, JSON.stringify([{ hosts: 'all', roles: [{ role: basename(options.role!) }] }]));
    return await fn(playbook);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the step runs with: its target hosts, the secrets to mask, the vault password file. */
interface Prepared {
  hosts: InventoryHost[];
  mask: (text: string) => string;
  vaultPasswordFile?: string;
  label: string;
}

/** The step's target hosts (their key and known_hosts files checked first), its masker and vault password. */
function prepare(ctx: StepContext, step: AnsibleStep): Prepared {
  const o = step.ansible;
  const hosts = targetHosts('ansible', ctx.inventory, o.hosts);
  requireSshFiles(hosts, ctx.repo.root, ctx.inventory!.dir);
  // The same password file the inventory was decrypted with (--vault-password-file sets it).
  const vaultPasswordFile = process.env.ANSIBLE_VAULT_PASSWORD_FILE || undefined;
  // A diff shows what a template rendered, vault values included: every one the playbook may read is masked.
  const values = maskValues([
    ...(ctx.inventory!.vaultValues ?? []),
    ...vaultSecretsUnder(ctx.repo.root, vaultPasswordFile),
  ]);
  return {
    hosts,
    mask: (text) => maskText(text, values),
    ...(vaultPasswordFile ? { vaultPasswordFile } : {}),
    label: o.playbook ?? `role ${o.role}`,
  };
}

/** One ansible-playbook run of the step; `onEvent` sees every event, output lines go to the log masked. */
function runStep(
  ctx: StepContext,
  step: AnsibleStep,
  p: Prepared,
  check: boolean,
  onEvent: (e: AnsibleEvent) => void,
): Promise<PlaybookResult> {
  return withPlaybook(step.ansible, (playbook) =>
    runPlaybook({
      ...playbookOptionsOf({
        options: step.ansible,
        playbook,
        inventory: ctx.inventory!,
        hosts: p.hosts,
        root: ctx.repo.root,
        check,
        ...(p.vaultPasswordFile ? { vaultPasswordFile: p.vaultPasswordFile } : {}),
      }),
      signal: ctx.signal,
      ...(ctx.trackProcessGroup ? { trackProcessGroup: ctx.trackProcessGroup } : {}),
      onEvent,
      // The plan's lines would repeat its diffs: only the apply's go to the log.
      ...(check ? {} : { onOutput: (line, stream) => line.trim() && ctx.log(p.mask(line), { stream }) }),
    }),
  );
}

/** Logs why a host failed or could not be reached. */
function logTrouble(ctx: StepContext, p: Prepared, e: AnsibleEvent): void {
  if (e.event === 'host_failed' && !e.ignore_errors)
    ctx.log(p.mask(`${p.label}: ${e.task}: ${failureReason(e)}`), { host: e.host });
  else if (e.event === 'host_unreachable')
    ctx.log(p.mask(`${p.label}: unreachable: ${failureReason(e)}`), { host: e.host });
}

/** Per-host progress of an apply from its events: running at a host's first, failed or unreachable with why. */
function hostProgress(ctx: StepContext, p: Prepared): (e: AnsibleEvent) => void {
  const started = new Set<string>();
  return (e) => {
    if (!('host' in e)) return;
    if (!started.has(e.host)) {
      started.add(e.host);
      ctx.hostStatus(e.host, 'running');
    }
    logTrouble(ctx, p, e);
    if (e.event === 'host_failed' && !e.ignore_errors)
      ctx.hostStatus(e.host, 'failed', p.mask(`${e.task}: ${failureReason(e)}`));
    else if (e.event === 'host_unreachable') ctx.hostStatus(e.host, 'unreachable', p.mask(failureReason(e)));
  };
}

/** The final status of each target host: its outcome, or `skipped` when no play of the playbook targets it. */
function finalStatuses(result: PlaybookResult, hosts: readonly InventoryHost[]): Record<string, HostStatus> {
  return Object.fromEntries(hosts.map((h) => [h.name, result.hosts[h.name] ?? 'skipped']));
}

/** The `ansible` step kind: a playbook or role of the repository; `--check --diff` is its plan. */
export const ansibleHandler: StepHandler<AnsibleStep> = {
  async plan(ctx, step) {
    const p = prepare(ctx, step);
    const result = await runStep(ctx, step, p, true, (e) => logTrouble(ctx, p, e));
    // Hosts the check stopped on are in the plan with why; a run that did not get to the hosts is an error.
    const failed = failedHosts(result);
    if (result.status !== 'successful' && !(result.status === 'failed' && failed.length > 0))
      throw new Error(p.mask(runFailure(p.label, result, failed).message));
    return planFromCheckRun(result, p.mask);
  },

  async apply(ctx, step): Promise<StepResult> {
    const p = prepare(ctx, step);
    const result = await runStep(ctx, step, p, false, hostProgress(ctx, p));
    const hosts = finalStatuses(result, p.hosts);
    for (const [host, status] of Object.entries(hosts))
      if (status !== 'failed' && status !== 'unreachable') ctx.hostStatus(host, status);
    const failed = failedHosts(result);
    if (result.status !== 'successful' || failed.length > 0)
      throw new Error(p.mask(runFailure(p.label, result, failed).message));
    return { changed: Object.values(hosts).includes('changed'), hosts };
  },
};
