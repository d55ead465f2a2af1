import { join } from 'node:path';
import { targetHosts } from '../config/inventory/targets.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change, HostStatus } from '../core/changes.ts';
import { type SyncPaths, syncPaths } from '../core/sync-layout.ts';
import { allOk, forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import { diffDetail, diffFiles, diffSummary, releasesToPrune } from '../sync/diff.ts';
import { pruneReleases, stageRelease, switchRelease, withdrawRelease } from '../sync/host-release.ts';
import { type HostSyncState, readHostState } from '../sync/host-state.ts';
import { buildManifest, type Manifest } from '../sync/manifest.ts';
import { packManifest } from '../sync/pack.ts';
import { errorMessage } from '../util/errors.ts';
import type { SyncStep } from './kinds/sync.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

/** What one sync step works with: the content to ship, where it goes, and each target host's state. */
interface SyncView {
  manifest: Manifest;
  paths: SyncPaths;
  hosts: InventoryHost[];
  states: Map<string, HostSyncState>;
}

// The source is walked and hashed before any host is asked anything: a refused source runs nothing.
async function viewOf(ctx: StepContext, step: SyncStep): Promise<SyncView> {
  const manifest = buildManifest(ctx.workdir, step.sync.source);
  const hosts = targetHosts('sync', ctx.inventory, step.sync.hosts);
  const paths = syncPaths(step.sync.to);
  const outcomes = await forEachHost(
    hosts,
    hostParallelism(),
    (h) => readHostState(ctx.transports.get(h), paths, ctx.signal),
    { signal: ctx.signal },
  );
  return { manifest, paths, hosts, states: allOk(outcomes) };
}

/** A host's changes: the release made live (with its file diff), and the kept releases pruned. */
export function hostChanges(
  host: string,
  step: SyncStep,
  manifest: Manifest,
  state: HostSyncState,
): Change[] {
  const { to, keep } = step.sync;
  const changes: Change[] = [];
  if (state.live?.id !== manifest.id) {
    const diff = diffFiles(state.live?.files, manifest.files);
    const kept = state.releases.includes(manifest.id) ? '; kept on the host, no upload' : '';
    const detail = diffDetail(diff, manifest.files);
    changes.push({
      host,
      action: state.live ? 'change' : 'add',
      subject: `sync ${to}: release ${manifest.id} (${diffSummary(diff)}${kept})`,
      ...(detail ? { detail } : {}),
    });
  }
  for (const old of releasesToPrune(state.releases, manifest.id, keep))
    changes.push({ host, action: 'remove', subject: `sync ${to}: release ${old} (past keep ${keep})` });
  return changes;
}

// Every host gets the release before any `current` moves: a failed upload leaves all hosts on the live one,
// and the releases this apply uploaded elsewhere are removed again, so the hosts are as they were.
async function stageAll(ctx: StepContext, step: SyncStep, v: SyncView): Promise<void> {
  const source = join(ctx.workdir, step.sync.source);
  const origin = { commit: ctx.run.sha, run: ctx.run.id, signal: ctx.signal };
  const stale = v.hosts.filter((h) => v.states.get(h.name)!.live?.id !== v.manifest.id);
  const uploaded: InventoryHost[] = [];
  const outcomes = await forEachHost(
    stale,
    hostParallelism(),
    async (h) => {
      ctx.hostStatus(h.name, 'running');
      try {
        const t = ctx.transports.get(h);
        const pack = () => packManifest(source, v.manifest);
        if (await stageRelease(t, v.paths, v.manifest, pack, origin)) uploaded.push(h);
        ctx.log(describeStaged(v.manifest, uploaded.includes(h)), { host: h.name });
      } catch (err) {
        ctx.hostStatus(h.name, 'failed', `upload: ${errorMessage(err)}; current release untouched`);
        throw err;
      }
    },
    { signal: ctx.signal },
  );
  if (outcomes.every((o) => o.ok)) return;
  for (const h of uploaded) {
    await withdrawRelease(ctx.transports.get(h), v.paths, v.manifest.id).catch(() => undefined);
    ctx.hostStatus(
      h.name,
      'skipped',
      `release ${v.manifest.id} removed again: another host failed its upload`,
    );
  }
  allOk(outcomes);
}

function describeStaged(manifest: Manifest, uploaded: boolean): string {
  const count = Object.keys(manifest.files).length;
  return uploaded
    ? `uploaded release ${manifest.id} (${count} files, checked against their hashes)`
    : `release ${manifest.id} is kept here: no upload`;
}

/**
 * Moves every host's `current` to the release, then, only when all moved, prunes past `keep`: a host that
 * cannot switch sends those that did back to their previous release, so the hosts end on one release.
 */
async function switchAll(ctx: StepContext, step: SyncStep, v: SyncView): Promise<Record<string, HostStatus>> {
  const statuses: Record<string, HostStatus> = {};
  const switched: InventoryHost[] = [];
  const outcomes = await forEachHost(
    v.hosts,
    hostParallelism(),
    async (h) => {
      const live = v.states.get(h.name)!.live?.id;
      if (live === v.manifest.id) return;
      try {
        await switchRelease(ctx.transports.get(h), v.paths, v.manifest.id, ctx.signal);
      } catch (err) {
        statuses[h.name] = 'failed';
        ctx.hostStatus(h.name, 'failed', errorMessage(err));
        throw err;
      }
      switched.push(h);
      // The run's log is the record a rollback reads: which release was live before this one.
      ctx.log(`release ${v.manifest.id} is live (previous: ${live ?? 'none'})`, { host: h.name });
    },
    { signal: ctx.signal },
  );
  if (!outcomes.every((o) => o.ok)) {
    await switchBack(ctx, v, switched, statuses);
    allOk(outcomes);
  }
  await pruneAll(ctx, step, v, statuses, switched);
  return statuses;
}

/** Sends the hosts that switched back to the release that was live on them (a first release stays). */
async function switchBack(
  ctx: StepContext,
  v: SyncView,
  switched: readonly InventoryHost[],
  statuses: Record<string, HostStatus>,
): Promise<void> {
  for (const h of switched) {
    const live = v.states.get(h.name)!.live?.id;
    if (!live) continue;
    const back = await switchRelease(ctx.transports.get(h), v.paths, live)
      .then(() => `back on release ${live}: another host could not switch`)
      .catch((err: unknown) => `could not switch back to ${live}: ${errorMessage(err)}`);
    statuses[h.name] = 'rolled-back';
    ctx.hostStatus(h.name, 'rolled-back', back);
  }
}

/** Removes on each host the releases past `keep`, once every host serves the new one. */
async function pruneAll(
  ctx: StepContext,
  step: SyncStep,
  v: SyncView,
  statuses: Record<string, HostStatus>,
  switched: readonly InventoryHost[],
): Promise<void> {
  const outcomes = await forEachHost(
    v.hosts,
    hostParallelism(),
    async (h) => {
      const prune = releasesToPrune(v.states.get(h.name)!.releases, v.manifest.id, step.sync.keep);
      await pruneReleases(ctx.transports.get(h), v.paths, prune, ctx.signal);
      for (const old of prune)
        ctx.log(`removed release ${old} (past keep ${step.sync.keep})`, { host: h.name });
      const status = switched.includes(h) || prune.length > 0 ? 'changed' : 'ok';
      statuses[h.name] = status;
      ctx.hostStatus(h.name, status);
    },
    { signal: ctx.signal },
  );
  allOk(outcomes);
}

/** The `sync` step kind: plan is the file diff per host, apply stages everywhere, then switches everywhere. */
export const syncHandler: StepHandler<SyncStep> = {
  async plan(ctx, step) {
    const v = await viewOf(ctx, step);
    return v.hosts.flatMap((h) => hostChanges(h.name, step, v.manifest, v.states.get(h.name)!));
  },

  async apply(ctx, step): Promise<StepResult> {
    const v = await viewOf(ctx, step);
    await stageAll(ctx, step, v);
    const hosts = await switchAll(ctx, step, v);
    ctx.setOutput(`sync.${step.sync.to}.release`, v.manifest.id);
    return { changed: Object.values(hosts).includes('changed'), hosts };
  },
};
