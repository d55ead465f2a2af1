import type { Command } from 'commander';
import type { InventoryHost, OpsRepo } from '../config/types.ts';
import { type AppTarget, appTarget, pickHosts } from '../deploy/app-hosts.ts';
import { readLiveApp } from '../deploy/host-deploy.ts';
import { dockerSocketOf } from '../deploy/host-docker.ts';
import type { ReleaseRecord } from '../deploy/release.ts';
import { processSources, resolveSecrets, valuesToMask } from '../engine/secrets.ts';
import { maskText } from '../logs/masker.ts';
import { forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import { TransportPool } from '../remote/pool.ts';
import type { Transport } from '../remote/transport.ts';
import { asInvalidConfig, CliError } from './errors.ts';
import { loadRepoForCommand } from './repo-config.ts';

/** A host of the app with how to reach it and its engine. */
export interface AppHost {
  name: string;
  transport: Transport;
  dockerSocket: string;
}

/** What `slipway app ...` works with: the app's hosts, one connection per host, and a masker for its output. */
export interface AppSession {
  repo: OpsRepo;
  target: AppTarget;
  hosts: AppHost[];
  /** Masks every secret the app's pipelines and this process hold (an app may print its own). */
  mask(text: string): string;
  close(): Promise<void>;
}

/** Opens ENV APP (and `--host`): unknown names are usage errors (exit 2), nothing is connected yet. */
export async function openAppSession(
  cmd: Command,
  env: string,
  app: string,
  host?: string,
): Promise<AppSession> {
  const repo = await loadRepoForCommand(cmd);
  const target = asInvalidConfig(() => appTarget(repo, env, app));
  const picked = asInvalidConfig(() => pickHosts(target, host));
  const pool = new TransportPool({ root: repo.root });
  return {
    repo,
    target,
    hosts: picked.map((h: InventoryHost) => ({
      name: h.name,
      transport: pool.get(h),
      dockerSocket: dockerSocketOf(h),
    })),
    mask: appMasker(repo, target),
    close: () => pool.closeAll(),
  };
}

/** Masks every secret the app's pipelines, this process and the notifications hold in its output (an app may print its own). */
export function appMasker(
  repo: OpsRepo,
  target: AppTarget,
  env: NodeJS.ProcessEnv = process.env,
): (text: string) => string {
  const secrets = target.pipelines.flatMap((p) => resolveSecrets(p.pipeline, processSources(env)).values());
  const masked = valuesToMask(repo, repo.project, secrets, env);
  return (text) => maskText(text, masked);
}

/**
 * The session's hosts that run the app, with their live release. A host that cannot be read is named on
 * stderr and left out; when no host runs the app, throws saying so (nothing was changed anywhere).
 */
export async function deployedHosts(s: AppSession): Promise<(AppHost & { release: ReleaseRecord })[]> {
  const outcomes = await forEachHost(s.hosts, hostParallelism(), (h) =>
    readLiveApp(h.transport, s.target.app).then((live) => live.release),
  );
  const found: (AppHost & { release: ReleaseRecord })[] = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) process.stderr.write(`slipway: ${o.host}: cannot read the live release: ${o.error.message}\n`);
    else if (o.value) found.push({ ...s.hosts[i]!, release: o.value });
  });
  if (found.length === 0) {
    const { app, environment } = s.target;
    const names = s.hosts.map((h) => h.name).join(', ');
    throw new CliError(
      `${app} is not deployed in ${environment}: no release of it on ${names}` +
        (outcomes.some((o) => !o.ok) ? ' that could be read' : '') +
        ` (deploy it first; see: slipway releases ${environment})`,
    );
  }
  return found;
}
