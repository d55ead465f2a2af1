import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { adminSocketOf } from '../caddy/host-admin.ts';
import type { DeployStep } from '../config/schema/steps.ts';
import type { InventoryHost } from '../config/types.ts';
import { deployToHost, type ReleasePolicy, type ReleaseSpec } from '../deploy/host-deploy.ts';
import { type ReleaseLedger, storeLedger } from '../deploy/ledger.ts';
import { liveReleases } from '../deploy/live-releases.ts';
import { requireManifest } from '../deploy/registry-check.ts';
import { configHash, releaseChange } from '../deploy/release.ts';
import { rollOut } from '../deploy/rollout.ts';
import { type AppRoute, appRoutes } from '../deploy/routes.ts';
import { digestReference, isDigest } from '../docker/image-ref.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import { TransportPool } from '../remote/pool.ts';
import type { RecordedConfig } from '../store/types.ts';
import { pipelineImage, registryCredentials } from './pipeline-image.ts';
import { targetHosts } from './target-hosts.ts';
import type { Change, StepContext, StepHandler, StepResult } from './types.ts';

/** What one deploy releases on every target host, and the per-host routes and config hashes. */
interface Desired {
  spec: Omit<ReleaseSpec, 'registry'>;
  /** What the ledger keeps so that a rollback restores this release exactly. */
  config: RecordedConfig;
  routes: Map<string, AppRoute[]>;
  hashes: Map<string, string>;
}

/** A recorded release by its ledger id. */
type Recorded = ReleaseLedger['recorded'];

// The app's secrets: every pipeline secret except the registry password, which only the runner and pull need.
function appSecretNames(ctx: StepContext): string[] {
  const registrySecret = ctx.pipeline.pipeline.registry?.password_secret;
  return Object.keys(ctx.pipeline.pipeline.secrets)
    .filter((name) => name !== registrySecret)
    .sort();
}

// Today's release (the pushed digest, the checkout's compose file and env), or for a rollback run the
// recorded release it restores: its digest, compose file and env, its secrets by name resolved again.
async function releaseSource(ctx: StepContext, step: DeployStep, ledger: Recorded) {
  const back = ctx.run.rollback;
  if (!back) {
    const digest = ctx.outputs['image.digest'];
    const config: RecordedConfig = {
      composeFile: step.deploy.compose,
      compose: await readFile(resolve(ctx.workdir, step.deploy.compose), 'utf8'),
      env: { ...ctx.pipeline.pipeline.env, ...step.deploy.env },
      secretNames: appSecretNames(ctx),
    };
    return { digest, config, sha: ctx.run.sha };
  }
  const row = ledger(back.ledgerId);
  if (!row?.config) {
    throw new Error(
      `deploy: release ${back.releaseId} has no recorded compose file and configuration, so it cannot be restored exactly`,
    );
  }
  return { digest: back.digest, config: row.config, sha: row.sha ?? ctx.run.sha, restores: back.releaseId };
}

async function desiredState(
  ctx: StepContext,
  step: DeployStep,
  hosts: readonly InventoryHost[],
  ledger: Recorded,
): Promise<Desired | undefined> {
  const { digest, config, sha, restores } = await releaseSource(ctx, step, ledger);
  if (digest === undefined) return undefined;
  if (!isDigest(digest)) throw new Error(`deploy: ${digest} is not an image digest`);
  const app = step.deploy.app ?? ctx.pipeline.pipeline.name;
  const environment = ctx.inventory!.environment;
  const secrets = Object.fromEntries(config.secretNames.map((name) => [name, ctx.secret(name)]));
  const routes = new Map<string, AppRoute[]>();
  const hashes = new Map<string, string>();
  for (const h of hosts) {
    const r = appRoutes(ctx.repo.sites, app, environment, { name: h.name, groups: h.groups });
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
  return { spec, config, routes, hashes };
}

// The change on one host; a rollback says which release it restores.
function hostChange(
  want: Desired,
  host: string,
  current: Parameters<typeof releaseChange>[2],
): Change | undefined {
  const { spec } = want;
  const change = releaseChange(host, spec.app, current, {
    image: spec.repository,
    digest: spec.digest,
    configHash: want.hashes.get(host)!,
  });
  if (!change || !spec.restores) return change;
  const restores = `rollback to release ${spec.restores} (commit ${spec.sha.slice(0, 7)}): its image, ${spec.composeFile} and env`;
  return { ...change, detail: [restores, change.detail].filter(Boolean).join('\n') };
}

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

/** `deploy`: rolls the pushed digest (or a rollback's recorded release) out to an environment's hosts in batches. */
export function createDeployHandler(
  opts: { ledger?: (ctx: StepContext) => ReleaseLedger } = {},
): StepHandler<DeployStep> {
  const openLedger = opts.ledger ?? ((ctx: StepContext) => storeLedger(ctx.repo.root));
  return {
    kind: 'deploy',

    async plan(ctx, step): Promise<Change[]> {
      const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
      // Only a rollback's plan reads the ledger: a plain plan leaves the store alone.
      const recorded: Recorded = (id) => {
        const ledger = openLedger(ctx);
        try {
          return ledger.recorded(id);
        } finally {
          ledger.close();
        }
      };
      const pool = new TransportPool({ root: ctx.repo.root });
      try {
        const want = await desiredState(ctx, step, hosts, recorded);
        if (!want) {
          const subject = `app ${step.deploy.app ?? ctx.pipeline.pipeline.name}: the image the push step records`;
          return hosts.map((h) => ({ host: h.name, action: 'change', subject }));
        }
        const current = await liveReleases(pool, hosts, want.spec.app, ctx.signal);
        return hosts.flatMap((h) => hostChange(want, h.name, current.get(h.name)) ?? []);
      } finally {
        await pool.closeAll();
      }
    },

    async apply(ctx, step): Promise<StepResult> {
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
        const approvedBy = ledger.approvers(ctx.run.id, ctx.job);
        return await rollOut({
          hosts,
          upToDate: (h) =>
            hostChange(want, h.name, current.get(h.name))
              ? undefined
              : `already runs ${digestReference(spec.repository, spec.digest)}`,
          batch: step.deploy.batch,
          parallel: hostParallelism(),
          release: async (h) => {
            const record = await deployToHost(
              {
                spec,
                policy: policyOf(step),
                host: {
                  name: h.name,
                  transport: pool.get(h),
                  routes: want.routes.get(h.name)!,
                  configHash: want.hashes.get(h.name)!,
                  caddySocket: adminSocketOf(h),
                  ...(typeof h.vars['docker_socket'] === 'string'
                    ? { dockerSocket: h.vars['docker_socket'] }
                    : {}),
                },
                run: { id: ctx.run.id, triggeredBy: ctx.run.triggeredBy, approvedBy },
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
    },
  };
}

/** The deploy step kind, recording releases in the store. */
export const deployHandler = createDeployHandler();
