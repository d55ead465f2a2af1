import { loadRepo } from '../config/load-repo.ts';
import type { LiveEnvironment } from '../dashboard/data.ts';
import type { AppHostRow } from '../dashboard/views/model.ts';
import { appsDeployedTo, appTarget } from '../deploy/app-hosts.ts';
import { readAppStatus } from '../deploy/app-status.ts';
import { dockerSocketOf } from '../deploy/host-docker.ts';
import { forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import { TransportPool } from '../remote/pool.ts';
import { errorMessage } from '../util/errors.ts';
import type { ServedCheckout } from './dashboard-actions.ts';

/** How long the page waits for one host before it shows the host as unreachable. */
const HOST_READ_MS = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const when = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/**
 * What runs where in `env`, read as `slipway app status` reads it (release marker and containers through the
 * Docker API over SSH, every app and host at once), and the pipelines with jobs there that start by hand.
 */
export async function liveEnvironment(env: string, at: ServedCheckout): Promise<LiveEnvironment> {
  const policy = await at.policy.current();
  const loaded = await loadRepo(at.root, { inventoriesRoot: at.inventoriesRoot, projectFrom: policy.root });
  if (!loaded.ok) throw new Error(`the ops repository has ${loaded.errors.length} errors (slipway validate)`);
  const repo = loaded.repo;
  const pipelines = repo.pipelines
    .filter((p) => p.pipeline.on.manual && Object.values(p.pipeline.jobs).some((j) => j.environment === env))
    .map((p) => p.pipeline.name);
  if (!repo.inventories.has(env)) return { apps: [], pipelines };
  const pool = new TransportPool({ root: repo.root });
  try {
    const perApp = await Promise.all(
      [...appsDeployedTo(repo, env).keys()].sort().map(async (app) => {
        const { hosts } = appTarget(repo, env, app);
        const outcomes = await forEachHost(hosts, hostParallelism(), (h) =>
          withTimeout(
            readAppStatus({ name: h.name, transport: pool.get(h), dockerSocket: dockerSocketOf(h) }, app),
            HOST_READ_MS,
            h.name,
          ),
        );
        return outcomes.map((o): AppHostRow => {
          if (!o.ok)
            return { app, host: o.host, health: 'unreachable', services: [], error: errorMessage(o.error) };
          const { release, health, services } = o.value;
          return {
            app,
            host: o.host,
            health,
            ...(release
              ? { release: release.release, digest: release.digest, since: when(release.deployedAt) }
              : {}),
            services: services.map((s) => ({ service: s.service, state: s.state, since: when(s.since) })),
          };
        });
      }),
    );
    return { apps: perApp.flat(), pipelines };
  } finally {
    await pool.closeAll();
  }
}
