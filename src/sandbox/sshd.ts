import { inHost, namespacesOf, sshArgv, sshdArgv } from './commands.ts';
import { run, tryRun } from './exec.ts';
import { startInHost } from './host-fs.ts';
import type { HostPaths } from './layout.ts';
import type { HostPlan } from './plan.ts';
import type { ProcRef } from './processes.ts';
import { tcpOpen, waitFor } from './wait.ts';

/** Starts the host's sshd inside its namespaces and waits until port 22 accepts connections. */
export async function startSshd(host: HostPlan, paths: HostPaths): Promise<ProcRef> {
  const ns = namespacesOf(host, paths);
  // sshd refuses to start without its privilege-separation directory, which lives on the host's tmpfs /run.
  await run(inHost(ns, ['mkdir', '-p', '/run/sshd']));
  const ref = await startInHost(host, paths, sshdArgv(), paths.sshdLog);
  await waitFor(
    `sshd of ${host.name} on ${host.address}:22`,
    () => tcpOpen(host.address, 22, 500),
    10_000,
    50,
  );
  return ref;
}

/** True when the runner logs in to the host as root with the instance key, checking the host key. */
export async function sshHealthy(host: HostPlan, key: string, knownHosts: string): Promise<boolean> {
  return (await tryRun(sshArgv(key, knownHosts, 'root', host.address, ['true']), { timeoutMs: 10_000 })).ok;
}
