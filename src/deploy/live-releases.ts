import type { InventoryHost } from '../config/types.ts';
import { forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import type { TransportPool } from '../remote/pool.ts';
import { type LiveApp, readLiveApp } from './host-deploy.ts';

/** What runs of `app` on each host (empty where it never ran); fails naming every host that could not be read. */
export async function liveReleases(
  pool: TransportPool,
  hosts: readonly InventoryHost[],
  app: string,
  signal: AbortSignal,
): Promise<Map<string, LiveApp>> {
  const outcomes = await forEachHost(hosts, hostParallelism(), (h) => readLiveApp(pool.get(h), app), {
    signal,
  });
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) {
    throw new Error(
      `deploy: cannot read the live release on ${failed.map((f) => `${f.host} (${f.error.message})`).join(', ')}`,
    );
  }
  return new Map(outcomes.map((o) => [o.host, o.ok ? o.value : {}]));
}
