import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { composeServiceNames, unknownServices } from '../config/compose-services.ts';
import { sitesOf } from '../config/environment-sites.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change } from '../core/changes.ts';
import type { ReleaseSpec } from '../deploy/host-deploy.ts';
import type { ReleaseLedger } from '../deploy/ledger.ts';
import { configHash, releaseChange } from '../deploy/release.ts';
import { releaseSecrets } from '../deploy/release-env.ts';
import { type AppRoute, appRoutes } from '../deploy/routes.ts';
import { isDigest } from '../docker/image-ref.ts';
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
  for (const h of hosts) {
    const r = appRoutes(sitesOf(ctx.repo, environment), app, environment, { name: h.name, groups: h.groups });
    routes.set(h.name, r);
    hashes.set(h.name, configHash({ compose: config.compose, env: config.env, secrets, routes: r }));
  }
  const spec = {
    app,
    environment,
    repository: pipelineImage(ctx),
    digest,
    composeSource: config.compose,
    composeFile: config.composeFile,
    env: config.env,
    secrets,
    sha,
    ...(restores ? { restores } : {}),
  };
  return { spec, config, routes, hashes, ...(redeploy ? { redeploy } : {}) };
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

/** The change on one host (undefined: it runs this release already); a rollback says which release it restores. */
export function hostChange(
  want: Desired,
  host: string,
  current: Parameters<typeof releaseChange>[2],
): Change | undefined {
  const { spec } = want;
  const desired = { image: spec.repository, digest: spec.digest, configHash: want.hashes.get(host)! };
  const change =
    releaseChange(host, spec.app, current, desired) ??
    (want.redeploy ? redeployChange(host, want, current) : undefined);
  if (!change || !spec.restores || want.redeploy) return change;
  const restores = `rollback to release ${spec.restores} (commit ${spec.sha.slice(0, 7)}): its image, ${spec.composeFile} and env`;
  return { ...change, detail: [restores, change.detail].filter(Boolean).join('\n') };
}
