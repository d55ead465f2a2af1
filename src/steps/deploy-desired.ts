import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { composeServiceNames, unknownServices } from '../config/compose-services.ts';
import { sitesOf } from '../config/environment-sites.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change } from '../core/changes.ts';
import { pinCompose } from '../deploy/compose-file.ts';
import type { LiveApp, ReleaseSpec } from '../deploy/host-deploy.ts';
import { appPaths } from '../deploy/layout.ts';
import type { ReleaseLedger } from '../deploy/ledger.ts';
import { configHash, type ReleaseRecord, releaseChange, short } from '../deploy/release.ts';
import { releaseSecrets, stableVariables } from '../deploy/release-env.ts';
import { type AppRoute, appRoutes } from '../deploy/routes.ts';
import { type StatefulWanted, statefulChanges, statefulWanted } from '../deploy/stateful-plan.ts';
import { digestReference, isDigest } from '../docker/image-ref.ts';
import type { RecordedConfig } from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { DeployStep } from './kinds/deploy.ts';
import { pipelineImage } from './pipeline-image.ts';
import type { StepContext } from './types.ts';

/** What one deploy releases on every target host, and the per-host routes and config hashes. */
export interface Desired {
  spec: Omit<ReleaseSpec, 'registry'>;
  /** What the ledger keeps so that a rollback restores this release exactly. */
  config: RecordedConfig;
  routes: Map<string, AppRoute[]>;
  hashes: Map<string, string>;
  /** Per host, what its stateful services and volumes should be. */
  stateful: Map<string, StatefulWanted>;
  /** A redeploy: every host gets the release again, even one that runs it. */
  redeploy?: boolean;
}

/** A recorded release by its ledger id. */
export type Recorded = ReleaseLedger['recorded'];

/** Refuses a `services:` entry the compose file does not define: its real service would go unchecked. */
function requireListedServices(step: DeployStep, composeSource: string): void {
  const unknown = unknownServices(
    Object.keys(step.deploy.services),
    composeServiceNames(composeSource) ?? [],
  );
  if (unknown.length === 0) return;
  const list = unknown.map((u) => `"${u.name}" (${u.hint})`).join(', ');
  throw new Error(
    `deploy: services: ${step.deploy.compose} has no service ${list}; fix the step's services:`,
  );
}

// Today's release (the pushed digest, the checkout's compose file and env), or for a rollback run the
// recorded release it restores: its digest, compose file and env, its secrets by name resolved again.
async function releaseSource(ctx: StepContext, step: DeployStep, ledger: Recorded) {
  const back = ctx.run.rollback;
  if (!back) {
    const digest = ctx.outputs['image.digest'];
    const compose = await readFile(resolve(ctx.workdir, step.deploy.compose), 'utf8');
    requireListedServices(step, compose);
    const config: RecordedConfig = {
      composeFile: step.deploy.compose,
      compose,
      env: { ...ctx.pipeline.pipeline.env, ...step.deploy.env },
      secrets: { ...step.deploy.secrets },
    };
    return { digest, config, sha: ctx.run.sha };
  }
  const row = ledger(back.ledgerId);
  const app = step.deploy.app ?? ctx.pipeline.pipeline.name;
  const env = ctx.inventory?.environment;
  if (!row || row.app !== app || row.environment !== env || row.releaseId !== back.releaseId) {
    throw new Error(
      `deploy: the rollback's release ${back.releaseId} (ledger row ${back.ledgerId}) is not a release of ${app} in ${env}`,
    );
  }
  if (!row.config) {
    throw new Error(
      `deploy: release ${back.releaseId} has no recorded compose file and configuration, so it cannot be restored exactly`,
    );
  }
  return {
    digest: back.digest,
    config: row.config,
    sha: row.sha ?? ctx.run.sha,
    restores: back.releaseId,
    redeploy: back.kind === 'redeploy',
  };
}

// A rollback resolves the secrets its release used by name, today: say which release needs a missing one.
function resolveSecret(ctx: StepContext, name: string, restores: string | undefined): string {
  try {
    return ctx.secret(name);
  } catch (err) {
    if (!restores) throw err;
    throw new Error(
      `deploy: release ${restores} used secret ${name}, which cannot be resolved now: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/**
 * What a deploy releases: today's (the pushed digest, the checkout's compose file and env) or, on a
 * rollback run, the recorded release; undefined when no push recorded a digest yet (a plan before the push).
 */
export async function desiredState(
  ctx: StepContext,
  step: DeployStep,
  hosts: readonly InventoryHost[],
  ledger: Recorded,
): Promise<Desired | undefined> {
  const { digest, config, sha, restores, redeploy } = await releaseSource(ctx, step, ledger);
  if (digest === undefined) return undefined;
  if (!isDigest(digest)) throw new Error(`deploy: ${digest} is not an image digest`);
  const app = step.deploy.app ?? ctx.pipeline.pipeline.name;
  const environment = ctx.inventory!.environment;
  // Each secret read for the job's environment: a host of environment X receives only X's values.
  const secrets = releaseSecrets(config.secrets, (name) => resolveSecret(ctx, name, restores));
  const routes = new Map<string, AppRoute[]>();
  const hashes = new Map<string, string>();
  const stateful = new Map<string, StatefulWanted>();
  const repository = pipelineImage(ctx);
  // Pinned once here, so a compose file the hosts would refuse fails the plan, before any gate.
  const pinned = pinCompose(config.compose, digestReference(repository, digest), config.composeFile, {
    app,
    environment,
    marks: step.deploy.stateful,
  });
  for (const h of hosts) {
    const r = appRoutes(sitesOf(ctx.repo, environment), app, environment, { name: h.name, groups: h.groups });
    refuseStatefulRoutes(r, pinned.stateful?.services ?? []);
    routes.set(h.name, r);
    hashes.set(h.name, configHash({ compose: config.compose, env: config.env, secrets, routes: r }));
    const vars = stableVariables(config.env, secrets, {
      app,
      environment,
      host: h.name,
      volume: appPaths(app).volume,
      routes: r,
    });
    stateful.set(h.name, statefulWanted(app, pinned, vars, step.deploy.stateful));
  }
  const spec = {
    app,
    environment,
    repository,
    digest,
    composeSource: config.compose,
    composeFile: config.composeFile,
    env: config.env,
    secrets,
    sha,
    stateful: step.deploy.stateful,
    ...(step.deploy.release_command ? { releaseCommand: step.deploy.release_command } : {}),
    ...(restores ? { restores } : {}),
  };
  return { spec, config, routes, hashes, stateful, ...(redeploy ? { redeploy } : {}) };
}

/** A redeploy on a host that runs the release already: the same image and configuration in new containers. */
function redeployChange(host: string, want: Desired, current: Parameters<typeof releaseChange>[2]): Change {
  const { spec } = want;
  return {
    host,
    action: 'change',
    subject: `app ${spec.app} release ${spec.repository}@${spec.digest.replace(/^sha256:/, '').slice(0, 12)}`,
    detail: `redeploy of release ${spec.restores} (same image and configuration): new containers replace ${current?.release ?? 'none'}`,
  };
}

/** Refuses a route of infra/sites.yml to a stateful service: it runs once, on no alternating port. */
function refuseStatefulRoutes(routes: readonly AppRoute[], stateful: readonly string[]): void {
  const bad = routes.find((r) => r.service && stateful.includes(r.service));
  if (!bad) return;
  throw new Error(
    `deploy: the route ${bad.url} proxies to ${bad.service}, a stateful service: it runs once per host with ` +
      'no routed port, so a release could not switch traffic to it; route to a stateless service instead',
  );
}

/**
 * The changes on one host (none: it runs this release already, and it is the release the ledger recorded
 * last for the host): the release, then each stateful service and volume on a line of its own; a rollback
 * says which release it restores.
 */
export function hostChanges(
  want: Desired,
  host: string,
  live: LiveApp,
  lastRecorded: string | undefined,
): Change[] {
  const { spec } = want;
  const desired = { image: spec.repository, digest: spec.digest, configHash: want.hashes.get(host)! };
  const change =
    releaseChange(host, spec.app, live.release, desired) ??
    (want.redeploy ? redeployChange(host, want, live.release) : undefined) ??
    unrecordedRelease(host, spec.app, live.release, desired, lastRecorded);
  const stateful = statefulChanges(host, want.stateful.get(host)!, live.stateful);
  if (!change) return stateful;
  if (!spec.restores || want.redeploy) return [change, ...stateful];
  const restores = `rollback to release ${spec.restores} (commit ${spec.sha.slice(0, 7)}): its image, ${spec.composeFile} and env`;
  return [{ ...change, detail: [restores, change.detail].filter(Boolean).join('\n') }, ...stateful];
}

/**
 * A host that runs the wanted release already, but not the one the ledger recorded last for it: its runner
 * died after the release went live and before it was recorded (or the host was changed behind the ledger).
 * It is released again, so that what runs there is what the ledger says.
 */
function unrecordedRelease(
  host: string,
  app: string,
  current: ReleaseRecord | undefined,
  desired: { image: string; digest: string },
  lastRecorded: string | undefined,
): Change | undefined {
  if (!current || current.release === lastRecorded) return undefined;
  return {
    host,
    action: 'change',
    subject: `app ${app} release ${desired.image}@${short(desired.digest)}`,
    detail: `release ${current.release} runs it but the ledger records ${lastRecorded ? `release ${lastRecorded}` : 'no release'} last on this host: released again`,
  };
}
