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
import { type ReleaseCommandRule, releaseCommandHosts } from '../deploy/release-command.ts';
import { rollOut } from '../deploy/rollout.ts';
import { digestReference } from '../docker/image-ref.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import type { TransportPool } from '../remote/pool.ts';
import { type Desired, desiredState, hostChanges } from './deploy-desired.ts';
import { applyRestore, planRestore } from './deploy-restore.ts';
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

// The release the ledger recorded last for the app on `h`.
function lastRecorded(ctx: StepContext, want: Desired, h: InventoryHost): string | undefined {
  return ctx.releases.lastRecorded({ environment: want.spec.environment, host: h.name, app: want.spec.app });
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
  const changes = hosts.flatMap((h) =>
    hostChanges(want, h.name, current.get(h.name)!, lastRecorded(ctx, want, h)),
  );
  const touched = new Set(changes.map((c) => c.host));
  const command = releaseCommandChange(
    ctx,
    want,
    hosts.flatMap((h) => (touched.has(h.name) ? [h.name] : [])),
  );
  return command ? [...changes, command] : changes;
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
  const todo = hosts.filter(
    (h) => hostChanges(want, h.name, current.get(h.name)!, lastRecorded(ctx, want, h)).length > 0,
  );
  const commandOn = releaseCommandHosts(
    commandRule(ctx, want),
    todo.map((h) => h.name),
  );
  return await rollOut({
    hosts,
    upToDate: (h) => (todo.includes(h) ? undefined : live),
    batch: step.deploy.batch,
    // Run once per environment, the release command's host goes alone: no host switches before it ran.
    firstAlone: commandOn.size === 1,
    parallel: hostParallelism(),
    release: async (h) => {
      const record = await deployToHost(
        {
          spec,
          policy: policyOf(step),
          host: deployHostOf(h, pool, want),
          run,
          runReleaseCommand: commandOn.has(h.name),
          onBackup: (b) =>
            ctx.releases.recordBackup({ ...b, host: h.name, app: spec.app, environment: spec.environment }),
          onBackupsRemoved: (service, ids) =>
            ctx.releases.backupsRemoved(
              { host: h.name, app: spec.app, environment: spec.environment, service },
              ids,
            ),
          log: (line, stream) => ctx.log(line, { host: h.name, ...(stream ? { stream } : {}) }),
          signal: ctx.signal,
        },
        current.get(h.name)!,
      );
      ctx.releases.record(record, want.config);
      return record.release;
    },
    status: (host, status, detail) => ctx.hostStatus(host, status, detail),
    log: (line) => ctx.log(line),
    signal: ctx.signal,
  });
}

// The deploy's rule for its release command: the step's command, the run, the app's stateful services.
function commandRule(ctx: StepContext, want: Desired): ReleaseCommandRule {
  return {
    ...(want.spec.releaseCommand ? { command: want.spec.releaseCommand } : {}),
    rollback: ctx.run.rollback !== undefined,
    perHost: [...want.stateful.values()].some((s) => Object.keys(s.services).length > 0),
  };
}

// The plan's line for the release command, with the backups it comes after.
function releaseCommandChange(ctx: StepContext, want: Desired, todo: readonly string[]): Change | undefined {
  const on = releaseCommandHosts(commandRule(ctx, want), todo);
  if (on.size === 0) return undefined;
  const backups = [...new Set([...want.stateful.values()].flatMap((s) => [...s.backedUp]))];
  const where =
    on.size === 1
      ? `once, on ${[...on][0]}`
      : `on ${[...on].join(', ')} (each host's own ${backups.join(', ') || 'data'})`;
  return {
    action: 'run',
    subject: `app ${want.spec.app} release command: ${want.spec.releaseCommand!.join(' ')}`,
    detail: `runs ${where}, in the new image before any traffic moves${backups.length > 0 ? `; backup of ${backups.join(', ')} first` : ''}`,
  };
}

/** `deploy`: rolls the pushed digest (or a rollback's recorded release) out to an environment's hosts in batches. */
export const deployHandler: StepHandler<DeployStep> = {
  plan: (ctx, step) =>
    ctx.run.restoreBackup === undefined
      ? planDeploy(ctx, step)
      : planRestore(ctx, step, ctx.run.restoreBackup),
  apply: (ctx, step) =>
    ctx.run.restoreBackup === undefined
      ? applyDeploy(ctx, step)
      : applyRestore(ctx, step, ctx.run.restoreBackup),
};
