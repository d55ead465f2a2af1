import { dockerdArgv, inHost, namespacesOf, runnerDockerdArgv } from './commands.ts';
import { spawnDaemon, tryRun } from './exec.ts';
import { startInHost } from './host-fs.ts';
import type { HostPaths } from './layout.ts';
import type { HostPlan } from './plan.ts';
import type { ProcRef } from './processes.ts';
import { withLock } from './state.ts';
import { waitFor } from './wait.ts';

const RUNNER_DOCKERD_LOCK = '/run/slipway-runner-dockerd.lock';

/** The daemon ID `docker info` reports inside the host, or undefined when its dockerd does not answer. */
export async function hostDockerId(host: HostPlan, paths: HostPaths): Promise<string | undefined> {
  const r = await tryRun(inHost(namespacesOf(host, paths), ['docker', 'info', '--format', '{{.ID}}']), {
    timeoutMs: 10_000,
  });
  return r.ok && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Starts the host's dockerd inside its namespaces (so /var/run/docker.sock there is its own) and waits for it. */
export async function startHostDockerd(host: HostPlan, paths: HostPaths): Promise<ProcRef> {
  const ref = await startInHost(host, paths, dockerdArgv(host), paths.dockerdLog);
  await waitFor(
    `dockerd of ${host.name} (log: ${paths.dockerdLog})`,
    async () => (await hostDockerId(host, paths)) !== undefined,
    60_000,
    200,
  );
  return ref;
}

/** True when a dockerd answers on the runner side's default socket. */
export async function runnerDockerHealthy(): Promise<boolean> {
  return (
    await tryRun(
      ['docker', '-H', 'unix:///var/run/docker.sock', 'version', '--format', '{{.Server.Version}}'],
      {
        timeoutMs: 10_000,
      },
    )
  ).ok;
}

/**
 * Starts the machine's own dockerd (default data root) when none answers: Debian's docker.io starts no
 * service without systemd. It is shared by every instance, so `down` leaves it running.
 */
export async function ensureRunnerDockerd(logFile: string): Promise<'running' | 'started'> {
  if (await runnerDockerHealthy()) return 'running';
  // Machine-wide, not per checkout: two instances starting at once must not start two dockerds.
  return withLock(RUNNER_DOCKERD_LOCK, async () => {
    if (await runnerDockerHealthy()) return 'running';
    spawnDaemon(runnerDockerdArgv(), logFile);
    await waitFor(`the runner's dockerd (log: ${logFile})`, runnerDockerHealthy, 60_000, 200);
    return 'started';
  });
}
