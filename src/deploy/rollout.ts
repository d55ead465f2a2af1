import type { HostStatus } from '../core/changes.ts';
import { forEachHost } from '../remote/fanout.ts';
import { TransportError } from '../remote/transport.ts';
import { type BatchSize, batches, firstAlone } from './batches.ts';
import { HostDeployError } from './host-deploy.ts';

/** A rollout of one release over a set of hosts, and where it reports. */
export interface Rollout<H extends { name: string }> {
  hosts: readonly H[];
  /** Why a host needs nothing (e.g. it already runs the release); undefined when it needs the release. */
  upToDate(host: H): string | undefined;
  batch: BatchSize;
  /** The first host goes alone, before its batch (it runs the release command the others rely on). */
  firstAlone?: boolean;
  /** Hosts released at once within a batch, at most. */
  parallel: number;
  /** Releases on one host; resolves with the release id, rejects (HostDeployError) with the host rolled back. */
  release(host: H): Promise<string>;
  status(host: string, status: HostStatus, detail?: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

/** Each host's final status, and whether any changed. */
export interface RolloutResult {
  changed: boolean;
  hosts: Record<string, HostStatus>;
}

/**
 * Releases batch after batch; a failed host ends the rollout after its batch, and the hosts not
 * reached are `skipped`. Every status change is reported as it happens. Throws `deploy stopped: ...`
 * naming each failed host once the statuses are final.
 */
export async function rollOut<H extends { name: string }>(r: Rollout<H>): Promise<RolloutResult> {
  const statuses: Record<string, HostStatus> = {};
  const set = (host: string, status: HostStatus, detail?: string) => {
    statuses[host] = status;
    r.status(host, status, detail);
  };
  const todo = r.hosts.filter((h) => {
    const why = r.upToDate(h);
    if (why !== undefined) set(h.name, 'ok', why);
    return why === undefined;
  });
  for (const h of todo) set(h.name, 'pending');
  const failures: HostDeployError[] = [];
  const plan = r.firstAlone ? firstAlone(batches(todo, r.batch)) : batches(todo, r.batch);
  for (const [i, batch] of plan.entries()) {
    if (failures.length > 0) break;
    r.log(`batch ${i + 1}/${plan.length}: ${batch.map((h) => h.name).join(', ')}`);
    const outcomes = await forEachHost(
      batch,
      Math.min(batch.length, r.parallel),
      (h) => {
        set(h.name, 'running');
        return r.release(h);
      },
      { signal: r.signal },
    );
    for (const o of outcomes) {
      if (o.ok) {
        set(o.host, 'changed', `release ${o.value}`);
        continue;
      }
      const err =
        o.error instanceof HostDeployError
          ? o.error
          : new HostDeployError(o.host, o.error.message, false, { cause: o.error });
      failures.push(err);
      set(o.host, failedStatus(err), err.message);
    }
  }
  for (const h of todo) if (statuses[h.name] === 'pending') set(h.name, 'skipped', 'rollout stopped');
  if (failures.length > 0) throw new Error(`deploy stopped: ${failures.map((f) => f.message).join('; ')}`);
  return { changed: todo.length > 0, hosts: statuses };
}

function failedStatus(err: HostDeployError): HostStatus {
  if (err.cause instanceof TransportError) return 'unreachable';
  return err.rolledBack ? 'rolled-back' : 'failed';
}
