import { adminSocketOf } from '../caddy/host-admin.ts';
import { targetHosts } from '../config/inventory/targets.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change } from '../core/changes.ts';
import {
  type DeployHost,
  deployToHost,
  type ReleasePolicy,
  type ReleaseSpec,
} from '../deploy/host-deploy.ts';
import { dockerSocketOf } from '../deploy/host-docker.ts';
import { liveReleases } from '../deploy/live-releases.ts';
import { requireManifest } from '../deploy/registry-check.ts';
import { rollOut } from '../deploy/rollout.ts';
import { digestReference } from '../docker/image-ref.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import type { TransportPool } from '../remote/pool.ts';
import { type Desired, desiredState, hostChange } from './deploy-desired.ts';
import type { DeployStep } from './kinds/deploy.ts';
import { registryCredentials } from './pipeline-image.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

// The step's rules for a release to go live, in the deploy's own terms.
function policyOf(step: DeployStep): ReleasePolicy {
  const { health } = step.deploy;
  return {
    services: step.deploy.services,
    ...(health
      ? { health: { path: health.path, expectStatus: health.expect_status, timeoutMs: health.timeout } }
      : {}),
    timeoutMs: step.deploy.timeout,
    drainMs: step.deploy.drain,
    keep: step.deploy.keep,
  };
}

// One target host as the release attempt reaches it: transport, routes, config hash, sockets.
function deployHostOf(h: InventoryHost, pool: TransportPool, want: Desired): DeployHost {
  return {
    name: h.name,
    transport: pool.get(h),
    routes: want.routes.get(h.name)!,
    configHash: want.hashes.get(h.name)!,
    caddySocket: adminSocketOf(h),
    dockerSocket: dockerSocketOf(h),
  };
}

// Per host, the release it would get (none where it runs it already); before the push, the promise of one.
async function planDeploy(ctx: StepContext, step: DeployStep): Promise<Change[]> {
  const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
  const want = await desiredState(ctx, step, hosts, (id) => ctx.releases.recorded(id));
  if (!want) {
    const subject = `app ${step.deploy.app ?? ctx.pipeline.pipeline.name}: the image the push step records`;
    return hosts.map((h) => ({ host: h.name, action: 'change', subject }));
  }
  const current = await liveReleases(ctx.transports, hosts, want.spec.app, ctx.signal);
  return hosts.flatMap((h) => hostChange(want, h.name, current.get(h.name)) ?? []);
}

// Checks the registry holds the digest, then rolls the release out and records each host's in the ledger.
async function applyDeploy(ctx: StepContext, step: DeployStep): Promise<StepResult> {
  const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
  const pool = ctx.transports;
  const want = await desiredState(ctx, step, hosts, (id) => ctx.releases.recorded(id));
  if (!want) throw new Error('deploy: no image digest: a push step must run before deploy');
  const auth = registryCredentials(ctx);
  const spec: ReleaseSpec = { ...want.spec, ...(auth ? { registry: auth } : {}) };
  // Reading the live releases changes nothing, so it overlaps the registry check.
  const [current] = await Promise.all([
    liveReleases(pool, hosts, spec.app, ctx.signal),
    requireManifest(spec.repository, spec.digest, auth, ctx.signal),
  ]);
  const run = {
    id: ctx.run.id,
    triggeredBy: ctx.run.triggeredBy,
    approvedBy: ctx.approvers(),
  };
  const live = `already runs ${digestReference(spec.repository, spec.digest)}`;
  return await rollOut({
    hosts,
    upToDate: (h) => (hostChange(want, h.name, current.get(h.name)) ? undefined : live),
    batch: step.deploy.batch,
    parallel: hostParallelism(),
    release: async (h) => {
      const record = await deployToHost(
        {
          spec,
          policy: policyOf(step),
          host: deployHostOf(h, pool, want),
          run,
          log: (line, stream) => ctx.log(line, { host: h.name, ...(stream ? { stream } : {}) }),
          signal: ctx.signal,
        },
        current.get(h.name),
      );
      ctx.releases.record(record, want.config);
      return record.release;
    },
    status: (host, status, detail) => ctx.hostStatus(host, status, detail),
    log: (line) => ctx.log(line),
    signal: ctx.signal,
  });
}

/** `deploy`: rolls the pushed digest (or a rollback's recorded release) out to an environment's hosts in batches. */
export const deployHandler: StepHandler<DeployStep> = {
  plan: planDeploy,
  apply: applyDeploy,
};
