import { existsSync } from 'node:fs';
import { bridgeCreate, forwardRules, hostNetworkCreate } from './commands.ts';
import { run, runAll, tryRun } from './exec.ts';
import type { HostPlan, SandboxPlan } from './plan.ts';

/** The alias (owner tag) of interface `dev`, '' when it has none, undefined when it does not exist. */
export async function linkAlias(dev: string): Promise<string | undefined> {
  const r = await tryRun(['ip', '-j', 'link', 'show', 'dev', dev]);
  if (!r.ok) return undefined;
  const [link] = JSON.parse(r.stdout) as Array<{ ifalias?: string }>;
  return link?.ifalias ?? '';
}

/** Bridge names of every slipway instance on this machine (from any checkout). */
export async function existingBridges(): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const links = JSON.parse(await run(['ip', '-j', 'link', 'show', 'type', 'bridge'])) as Array<{
    ifname: string;
    ifalias?: string;
  }>;
  for (const l of links) {
    const m = /^slipway(\d+)$/.exec(l.ifname);
    if (m) out.set(Number(m[1]), l.ifalias ?? '');
  }
  return out;
}

/**
 * Makes the instance bridge ours: creates it (the kernel refuses a second `ip link add` of one name, so
 * two instances racing for an index cannot both win) or finds it already tagged with `owner`. False
 * when another state dir owns it.
 */
export async function claimBridge(plan: SandboxPlan, owner: string): Promise<boolean> {
  let alias = await linkAlias(plan.bridge);
  if (alias === undefined) {
    const [add, ...rest] = bridgeCreate(plan, owner);
    if ((await tryRun(add!)).ok) {
      await runAll(rest);
      return true;
    }
    alias = await linkAlias(plan.bridge);
  }
  return alias === owner;
}

/** Claims the bridge (or fails, naming its owner) and adds its FORWARD rule unless present. */
export async function ensureBridge(plan: SandboxPlan, owner: string): Promise<void> {
  if (!(await claimBridge(plan, owner))) {
    const alias = (await linkAlias(plan.bridge)) ?? '';
    const owner = /^(.*)\/\.slipway\/sandbox\/([^/]+)$/.exec(alias);
    const fix = owner
      ? `slipway -C ${owner[1]} sandbox down${owner[2] === 'demo' ? '' : ` --name ${owner[2]}`}`
      : `ip link del ${plan.bridge}`;
    throw new Error(
      `${plan.bridge} (10.207.${plan.index}.0/24) belongs to another sandbox (${alias || 'unknown owner'}); ` +
        `remove it with \`${fix}\` or pick another --name`,
    );
  }
  const checks = forwardRules(plan, '-C');
  const inserts = forwardRules(plan, '-I');
  for (let i = 0; i < checks.length; i++) if (!(await tryRun(checks[i]!)).ok) await run(inserts[i]!);
}

/** Removes the bridge and its FORWARD rule if present. */
export async function removeBridge(plan: SandboxPlan): Promise<void> {
  const checks = forwardRules(plan, '-C');
  const deletes = forwardRules(plan, '-D');
  for (let i = 0; i < checks.length; i++) while ((await tryRun(checks[i]!)).ok) await run(deletes[i]!);
  if ((await linkAlias(plan.bridge)) !== undefined) await run(['ip', 'link', 'del', plan.bridge]);
}

/** True when the host's namespace exists and its eth0 carries the planned address. */
export async function hostNetworkHealthy(host: HostPlan): Promise<boolean> {
  if (!existsSync(`/run/netns/${host.netns}`)) return false;
  const r = await tryRun(['ip', '-n', host.netns, '-j', 'addr', 'show', 'dev', 'eth0']);
  if (!r.ok) return false;
  const [link] = JSON.parse(r.stdout) as Array<{ operstate?: string; addr_info?: Array<{ local: string }> }>;
  const veth = await tryRun(['ip', '-j', 'link', 'show', 'dev', host.veth]);
  return veth.ok && (link?.addr_info ?? []).some((a) => a.local === host.address);
}

/** Creates the host's network namespace and veth from scratch (removing a broken leftover first). */
export async function createHostNetwork(plan: SandboxPlan, host: HostPlan): Promise<void> {
  await removeHostNetwork(host);
  await runAll(hostNetworkCreate(plan, host));
}

/** Deletes the host's veth and network namespace if present. */
export async function removeHostNetwork(host: HostPlan): Promise<void> {
  if ((await linkAlias(host.veth)) !== undefined) await tryRun(['ip', 'link', 'del', host.veth]);
  if (existsSync(`/run/netns/${host.netns}`)) await run(['ip', 'netns', 'del', host.netns]);
}
