import { adminSocketOf } from '../caddy/host-admin.ts';
import type { DeployStep } from '../config/schema/steps.ts';
import type { InventoryHost } from '../config/types.ts';
import { type Desired, desiredState, hostChange, type Recorded } from '../deploy/desired.ts';
import {
  type DeployHost,
  deployToHost,
  type ReleasePolicy,
  type ReleaseSpec,
} from '../deploy/host-deploy.ts';
import { type ReleaseLedger, storeLedger } from '../deploy/ledger.ts';
import { liveReleases } from '../deploy/live-releases.ts';
import { requireManifest } from '../deploy/registry-check.ts';
import { rollOut } from '../deploy/rollout.ts';
import { digestReference } from '../docker/image-ref.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import { TransportPool } from '../remote/pool.ts';
import { registryCredentials } from './pipeline-image.ts';
import { targetHosts } from './target-hosts.ts';
import type { Change, StepContext, StepHandler, StepResult } from './types.ts';

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
  const docker = h.vars['docker_socket'];
  return {
    name: h.name,
    transport: pool.get(h),
    routes: want.routes.get(h.name)!,
    configHash: want.hashes.get(h.name)!,
    caddySocket: adminSocketOf(h),
    ...(typeof docker === 'string' ? { dockerSocket: docker } : {}),
  };
}

// Only a rollback's plan reads the ledger, once: a plain plan leaves the store alone.
function recordedOnce(open: () => ReleaseLedger): Recorded {
  return (id) => {
    const ledger = open();
    try {
      return ledger.recorded(id);
    } finally {
      ledger.close();
    }
  };
}

type OpenLedger = (ctx: StepContext) => ReleaseLedger;

// Per host, the release it would get (none where it runs it already); before the push, the promise of one.
async function planDeploy(ctx: StepContext, step: DeployStep, openLedger: OpenLedger): Promise<Change[]> {
  const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
  const want = await desiredState(
    ctx,
    step,
    hosts,
    recordedOnce(() => openLedger(ctx)),
  );
  if (!want) {
    const subject = `app ${step.deploy.app ?? ctx.pipeline.pipeline.name}: the image the push step records`;
    return hosts.map((h) => ({ host: h.name, action: 'change', subject }));
  }
  const pool = new TransportPool({ root: ctx.repo.root });
  try {
    const current = await liveReleases(pool, hosts, want.spec.app, ctx.signal);
    return hosts.flatMap((h) => hostChange(want, h.name, current.get(h.name)) ?? []);
  } finally {
    await pool.closeAll();
  }
}

// Checks the registry holds the digest, then rolls the release out and records each host's in the ledger.
async function applyDeploy(ctx: StepContext, step: DeployStep, openLedger: OpenLedger): Promise<StepResult> {
  const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
  const ledger = openLedger(ctx);
  const pool = new TransportPool({ root: ctx.repo.root });
  try {
    const want = await desiredState(ctx, step, hosts, (id) => ledger.recorded(id));
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
      approvedBy: ledger.approvers(ctx.run.id, ctx.job),
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
        ledger.record(record, want.config);
        return record.release;
      },
      status: (host, status, detail) => ctx.hostStatus(host, status, detail),
      log: (line) => ctx.log(line),
      signal: ctx.signal,
    });
  } finally {
    ledger.close();
    await pool.closeAll();
  }
}

/** `deploy`: rolls the pushed digest (or a rollback's recorded release) out to an environment's hosts in batches. */
export function createDeployHandler(opts: { ledger?: OpenLedger } = {}): StepHandler<DeployStep> {
  const openLedger = opts.ledger ?? ((ctx: StepContext) => storeLedger(ctx.repo.root));
  return {
    kind: 'deploy',
    plan: (ctx, step) => planDeploy(ctx, step, openLedger),
    apply: (ctx, step) => applyDeploy(ctx, step, openLedger),
  };
}

/** The deploy step kind, recording releases in the store. */
export const deployHandler = createDeployHandler();
