import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import Docker from 'dockerode';
import { adminSocketOf } from '../caddy/host-admin.ts';
import { sitesOf } from '../config/environment-sites.ts';
import { targetHosts } from '../config/inventory/targets.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change, HostStatus } from '../core/changes.ts';
import { type BatchSize, batches } from '../deploy/batches.ts';
import {
  deployToHost,
  type HealthCheck,
  HostDeployError,
  readCurrentRelease,
} from '../deploy/host-deploy.ts';
import { configHash, type ReleaseRecord, releaseChange } from '../deploy/release.ts';
import { type AppRoute, appRoutes } from '../deploy/routes.ts';
import { digestReference, isDigest, parseRepository } from '../docker/image-ref.ts';
import { RegistryClient, registryEndpoint } from '../docker/registry-client.ts';
import { forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import type { TransportPool } from '../remote/pool.ts';
import { TransportError } from '../remote/transport.ts';
import type { DeployStep } from './kinds/deploy.ts';
import { pipelineImage, registryCredentials } from './pipeline-image.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

/** Output key a rollback sets to redeploy a recorded digest instead of the one the run pushed. */
export const DIGEST_OVERRIDE = 'deploy.digest';

/** The digest a deploy ships: a rollback's recorded one, else what the push step recorded. */
export function deployDigest(ctx: StepContext): string | undefined {
  const d = ctx.outputs[DIGEST_OVERRIDE] ?? ctx.outputs['image.digest'];
  if (d !== undefined && !isDigest(d)) throw new Error(`deploy: ${d} is not an image digest`);
  return d;
}

function appName(ctx: StepContext, step: DeployStep): string {
  return step.deploy.app ?? ctx.pipeline.pipeline.name;
}

// The app's secrets: every pipeline secret except the registry password, which only the runner and login need.
function appSecrets(ctx: StepContext): Record<string, string> {
  const registrySecret = ctx.pipeline.pipeline.registry?.password_secret;
  const out: Record<string, string> = {};
  for (const name of Object.keys(ctx.pipeline.pipeline.secrets).sort()) {
    if (name !== registrySecret) out[name] = ctx.secret(name);
  }
  return out;
}

interface Desired {
  app: string;
  repository: string;
  composeSource: string;
  env: Record<string, string>;
  secrets: Record<string, string>;
  routes: Map<string, AppRoute[]>;
  hashes: Map<string, string>;
}

async function desiredState(ctx: StepContext, step: DeployStep, hosts: InventoryHost[]): Promise<Desired> {
  const app = appName(ctx, step);
  const composeSource = await readFile(resolve(ctx.workdir, step.deploy.compose), 'utf8');
  const env = { ...ctx.pipeline.pipeline.env, ...step.deploy.env };
  const secrets = appSecrets(ctx);
  const environment = ctx.inventory!.environment;
  const routes = new Map<string, AppRoute[]>();
  const hashes = new Map<string, string>();
  for (const h of hosts) {
    const r = appRoutes(sitesOf(ctx.repo, environment), app, environment, { name: h.name, groups: h.groups });
    routes.set(h.name, r);
    hashes.set(h.name, configHash({ compose: composeSource, env, secrets, routes: r }));
  }
  return { app, repository: pipelineImage(ctx), composeSource, env, secrets, routes, hashes };
}

async function currentReleases(
  pool: TransportPool,
  hosts: InventoryHost[],
  app: string,
  signal: AbortSignal,
): Promise<Map<string, ReleaseRecord | undefined>> {
  const outcomes = await forEachHost(hosts, hostParallelism(), (h) => readCurrentRelease(pool.get(h), app), {
    signal,
  });
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) {
    throw new Error(
      `deploy: cannot read the live release on ${failed.map((f) => `${f.host} (${f.error.message})`).join(', ')}`,
    );
  }
  return new Map(outcomes.map((o) => [o.host, o.ok ? o.value : undefined]));
}

/** `deploy`: rolls the pushed digest out to an environment's hosts in batches, with rollback per host. */
export const deployHandler: StepHandler<DeployStep> = {
  async plan(ctx, step): Promise<Change[]> {
    const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
    const digest = deployDigest(ctx);
    const repository = pipelineImage(ctx);
    if (!digest) {
      return hosts.map((h) => ({
        host: h.name,
        action: 'change',
        subject: `app ${appName(ctx, step)}: the image the push step records`,
      }));
    }
    const want = await desiredState(ctx, step, hosts);
    const current = await currentReleases(ctx.transports, hosts, want.app, ctx.signal);
    return hosts.flatMap((h) => {
      const c = releaseChange(h.name, want.app, current.get(h.name), {
        image: repository,
        digest,
        configHash: want.hashes.get(h.name)!,
      });
      return c ? [c] : [];
    });
  },

  async apply(ctx, step): Promise<StepResult> {
    const hosts = targetHosts('deploy', ctx.inventory, step.deploy.hosts);
    const digest = deployDigest(ctx);
    if (!digest)
      throw new Error(
        'deploy: no image digest: a push step must run before deploy (or give a release to roll back to)',
      );
    const want = await desiredState(ctx, step, hosts);
    const digestRef = digestReference(want.repository, digest);
    const auth = registryCredentials(ctx);

    // Before any host is touched: the registry must answer, accept the credentials and hold the digest.
    const registryCheck = async () => {
      const { registry, path } = parseRepository(want.repository);
      const client = new RegistryClient({
        ...(await registryEndpoint(new Docker(), registry)),
        ...(auth ? { auth } : {}),
        signal: ctx.signal,
      });
      try {
        if ((await client.manifestDigest(path, digest)) === undefined) {
          throw new Error(`deploy: the registry has no ${digestRef}`);
        }
      } finally {
        await client.close();
      }
    };

    const statuses: Record<string, HostStatus> = {};
    const pool = ctx.transports;
    // Reading the live releases changes nothing, so it overlaps the registry check.
    const [current] = await Promise.all([
      currentReleases(pool, hosts, want.app, ctx.signal),
      registryCheck(),
    ]);
    const todo = hosts.filter((h) => {
      const change = releaseChange(h.name, want.app, current.get(h.name), {
        image: want.repository,
        digest,
        configHash: want.hashes.get(h.name)!,
      });
      if (!change) {
        statuses[h.name] = 'ok';
        ctx.hostStatus(h.name, 'ok', `already runs ${digestRef}`);
      }
      return change !== undefined;
    });
    for (const h of todo) {
      statuses[h.name] = 'pending';
      ctx.hostStatus(h.name, 'pending');
    }
    const approvedBy = ctx.approvers();
    const failures: HostDeployError[] = [];
    const plan = batches(todo, step.deploy.batch as BatchSize);
    for (const [i, batch] of plan.entries()) {
      if (failures.length > 0) break;
      ctx.log(`batch ${i + 1}/${plan.length}: ${batch.map((h) => h.name).join(', ')}`);
      const outcomes = await forEachHost(
        batch,
        Math.min(batch.length, hostParallelism()),
        async (h) => {
          statuses[h.name] = 'running';
          ctx.hostStatus(h.name, 'running');
          const record = await deployToHost(
            {
              app: want.app,
              environment: ctx.inventory!.environment,
              host: h.name,
              transport: pool.get(h),
              caddySocket: adminSocketOf(h),
              ...(typeof h.vars['docker_socket'] === 'string'
                ? { dockerSocket: h.vars['docker_socket'] }
                : {}),
              repository: want.repository,
              digest,
              digestRef,
              ...(auth ? { registry: auth } : {}),
              composeSource: want.composeSource,
              composeFile: step.deploy.compose,
              env: want.env,
              secrets: want.secrets,
              routes: want.routes.get(h.name)!,
              services: step.deploy.services,
              ...(step.deploy.health ? { health: healthOf(step) } : {}),
              timeoutMs: step.deploy.timeout,
              drainMs: step.deploy.drain,
              keep: step.deploy.keep,
              configHash: want.hashes.get(h.name)!,
              run: { id: ctx.run.id, sha: ctx.run.sha, triggeredBy: ctx.run.triggeredBy, approvedBy },
              log: (line, stream) => ctx.log(line, { host: h.name, ...(stream ? { stream } : {}) }),
              signal: ctx.signal,
            },
            current.get(h.name),
          );
          ctx.recordRelease(record);
          return record;
        },
        { signal: ctx.signal },
      );
      for (const o of outcomes) {
        if (o.ok) {
          statuses[o.host] = 'changed';
          ctx.hostStatus(o.host, 'changed', `release ${o.value.release}`);
          continue;
        }
        const err =
          o.error instanceof HostDeployError
            ? o.error
            : new HostDeployError(o.host, o.error.message, false, { cause: o.error });
        failures.push(err);
        const unreachable = err.cause instanceof TransportError || o.error instanceof TransportError;
        statuses[o.host] = unreachable ? 'unreachable' : err.rolledBack ? 'rolled-back' : 'failed';
        ctx.hostStatus(o.host, statuses[o.host]!, err.message);
      }
    }
    for (const h of todo) {
      if (statuses[h.name] === 'pending') {
        statuses[h.name] = 'skipped';
        ctx.hostStatus(h.name, 'skipped', 'rollout stopped');
      }
    }
    if (failures.length > 0) {
      throw new Error(`deploy stopped: ${failures.map((f) => f.message).join('; ')}`);
    }
    return { changed: todo.length > 0, hosts: statuses };
  },
};

function healthOf(step: DeployStep): Omit<HealthCheck, 'service'> {
  const h = step.deploy.health!;
  return { path: h.path, expectStatus: h.expect_status, timeoutMs: h.timeout };
}
