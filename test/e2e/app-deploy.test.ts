import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline as pipelineSchema } from '../../src/config/schema/pipeline.ts';
import { sites as sitesSchema } from '../../src/config/schema/sites.ts';
import type { Inventory } from '../../src/config/types.ts';
import type { ReleaseLedger } from '../../src/deploy/ledger.ts';
import { runLedger } from '../../src/engine/run-ledger.ts';
import { resolveSecrets } from '../../src/engine/secrets.ts';
import { buildHandler } from '../../src/steps/build.ts';
import { deployHandler } from '../../src/steps/deploy.ts';
import { buildKind } from '../../src/steps/kinds/build.ts';
import { deployKind } from '../../src/steps/kinds/deploy.ts';
import { pushKind } from '../../src/steps/kinds/push.ts';
import { pushHandler } from '../../src/steps/push.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import {
  cleanHost,
  killHostSsh,
  sandboxInventory,
  startHostCaddy,
  stopHostCaddy,
  throughCaddy,
} from '../support/app-deploy.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { stepContext } from '../support/step-context.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const docker = new Docker();
const HOSTS = ['dev1', 'prod1', 'prod2', 'prod3'];
const PROD = ['prod1', 'prod2', 'prod3'];
const APP_TOKEN = `tok-${randomBytes(9).toString('hex')}`;
/** The same secret's prod value: it must never reach a dev host (nor dev's a prod host). */
const PROD_TOKEN = `prod-${randomBytes(9).toString('hex')}`;
const sites = sitesSchema.parse({
  tls: { issuer: 'internal' },
  sites: { 'web.test': { routes: [{ path: '/', proxy: { app: 'web' } }] } },
});
const RELEASES = '/srv/slipway/apps/web/releases';

describe('app deploy on sandbox hosts', () => {
  let sb: SandboxFixture;
  let stateDir: string;
  let ledgerStore: Store;
  let image: string;
  const digests: Record<string, string> = {};
  const shas = { v1: 'a1'.repeat(20), v2: 'b2'.repeat(20), broken: 'c3'.repeat(20), v3: 'd4'.repeat(20) };
  let dev: Inventory;
  let prod: Inventory;

  const pipeline = () => ({
    name: 'web',
    image,
    registry: { username: sb.registry.username, password_secret: 'REGISTRY_PASSWORD' },
    env: { GREETING: 'hello world' },
    secrets: {
      REGISTRY_PASSWORD: { env: 'REGISTRY_PASSWORD' },
      APP_TOKEN: { by_environment: { dev: { env: 'APP_TOKEN_DEV' }, prod: { env: 'APP_TOKEN_PROD' } } },
    },
    jobs: { deploy: { steps: [{ deploy: { compose: 'apps/web/compose.yml' } }] } },
  });
  /** The secrets a job of `environment` reads, through the real resolver (per-environment sources). */
  const secrets = (environment?: string) => {
    const resolved = resolveSecrets(pipelineSchema.parse(pipeline()), {
      env: { REGISTRY_PASSWORD: sb.registry.password, APP_TOKEN_DEV: APP_TOKEN, APP_TOKEN_PROD: PROD_TOKEN },
    });
    return {
      REGISTRY_PASSWORD: resolved.get('REGISTRY_PASSWORD', environment),
      ...(environment ? { APP_TOKEN: resolved.get('APP_TOKEN', environment) } : {}),
    };
  };
  const ctxFor = (
    inventory: Inventory,
    version: keyof typeof shas,
    rollback?: Parameters<typeof stepContext>[0]['rollback'],
    // The store's ledger, as the engine hands a run's steps.
    releases: ReleaseLedger = runLedger(ledgerStore, 1),
  ) =>
    stepContext({
      workdir: repoRoot,
      sha: shas[version],
      secrets: secrets(inventory.environment),
      pipeline: pipeline(),
      inventory,
      outputs: { 'image.digest': digests[version]! },
      ...(rollback ? { rollback } : {}),
      releases,
      repo: { sitesFiles: new Map([['infra/sites.yml', sites]]) },
      job: `deploy-${inventory.environment}`,
    });
  const deploy = (batch: number | string = 1) =>
    deployKind.schema.parse({
      deploy: {
        compose: 'apps/web/compose.yml',
        hosts: 'web',
        // The one way a secret reaches a host: mapped by the deploy step (the registry password never does).
        secrets: { APP_TOKEN: 'APP_TOKEN' },
        batch,
        drain: '1s',
        timeout: '90s',
        health: { timeout: '20s' },
      },
    });
  const releasesOn = async (host: string) =>
    (await sb.exec(host, ['sh', '-c', `ls -1 ${RELEASES} 2>/dev/null || true`])).split('\n').filter(Boolean);

  beforeAll(async () => {
    sb = await useSandbox({ name: 'appe2e', hosts: HOSTS });
    for (const h of HOSTS) await cleanHost(sb, h);
    stateDir = await mkdtemp(join(tmpdir(), 'slipway-state-'));
    process.env.SLIPWAY_STATE = join(stateDir, 'state.db');
    ledgerStore = openStore(repoRoot);
    image = `${sb.registry.address}/acme/web`;
    dev = sandboxInventory(sb, 'dev', ['dev1']);
    prod = sandboxInventory(sb, 'prod', PROD);
    const args = {
      v1: { VERSION: '1.0.0' },
      v2: { VERSION: '2.0.0' },
      broken: { VERSION: '9.9.9-broken', HEALTHY: 'false' },
      v3: { VERSION: '3.0.0' },
    };
    for (const v of Object.keys(shas) as (keyof typeof shas)[]) {
      const { ctx, outputs } = stepContext({
        workdir: repoRoot,
        sha: shas[v],
        secrets: secrets(),
        pipeline: pipeline(),
      });
      await buildHandler.apply(
        ctx,
        buildKind.schema.parse({
          build: { context: 'apps/web', args: { BASE_IMAGE: sb.registry.baseImage, ...args[v] } },
        }),
      );
      await pushHandler.apply(ctx, pushKind.schema.parse({ push: {} }));
      digests[v] = outputs['image.digest']!;
    }
    for (const h of HOSTS) await startHostCaddy(sb, h, sites, h.startsWith('dev') ? 'dev' : 'prod');
  });

  afterAll(async () => {
    if (sb) {
      for (const h of HOSTS) await stopHostCaddy(sb, h);
      await sb.startSshd('prod2').catch(() => undefined);
      for (const h of HOSTS) await cleanHost(sb, h).catch(() => undefined);
    }
    for (const sha of Object.values(shas))
      await docker
        .getImage(`${image}:${sha}`)
        .remove({ force: true })
        .catch(() => {});
    ledgerStore?.close();
    delete process.env.SLIPWAY_STATE;
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('deploys to dev by digest: answers through Caddy, 0600 .env, no secret in logs, argv or compose file', async () => {
    const { ctx, lines } = ctxFor(dev, 'v1');
    const plan = await deployHandler.plan(ctx, deploy());
    expect(plan).toEqual([expect.objectContaining({ host: 'dev1', action: 'add' })]);

    // Sample every process's argv on the host while the deploy runs (ps sees the whole machine).
    let sampling = true;
    const argvSeen: string[] = [];
    const sampler = (async () => {
      while (sampling) argvSeen.push(await sb.exec('dev1', ['ps', '-eo', 'args']));
    })();
    const result = await deployHandler.apply(ctx, deploy()).finally(() => {
      sampling = false;
    });
    await sampler;
    expect(result).toEqual({ changed: true, hosts: { dev1: 'changed' } });
    expect(await throughCaddy(sb, 'dev1', 'web.test', '/version.txt')).toBe('web 1.0.0 200');
    const info = await throughCaddy(sb, 'dev1', 'web.test', '/cgi-bin/info');
    expect(info).toContain('environment=dev');
    expect(info).toContain('url=http://web.test/');

    const [release] = await releasesOn('dev1');
    const dir = `${RELEASES}/${release}`;
    expect((await sb.exec('dev1', ['stat', '-c', '%a', `${dir}/.env`])).trim()).toBe('600');
    const envFile = await sb.exec('dev1', ['cat', `${dir}/.env`]);
    expect(envFile).toContain(`APP_TOKEN=${APP_TOKEN}`);
    expect(envFile).not.toContain(PROD_TOKEN);
    expect(envFile).not.toContain(sb.registry.password);
    const composeFile = await sb.exec('dev1', ['cat', `${dir}/compose.yml`]);
    expect(composeFile).toContain(`image: ${image}@${digests.v1}`);
    expect(composeFile).not.toContain(APP_TOKEN);
    expect(composeFile).not.toContain(sb.registry.password);
    expect(argvSeen.length).toBeGreaterThan(0);
    for (const secret of [APP_TOKEN, sb.registry.password]) {
      expect(argvSeen.join('\n')).not.toContain(secret);
      expect(lines.map((l) => l.line).join('\n')).not.toContain(secret);
    }
    // The pull's credentials travel in an API header: no docker config holds them on the host.
    const configs = await sb.exec('dev1', [
      'sh',
      '-c',
      'find /root /home /srv -path "*/.docker/config.json" -exec cat {} + 2>/dev/null || true',
    ]);
    expect(configs).not.toContain(
      Buffer.from(`${sb.registry.username}:${sb.registry.password}`).toString('base64'),
    );
    expect(configs).not.toContain(sb.registry.password);
    const marker = JSON.parse(await sb.exec('dev1', ['cat', '/srv/slipway/apps/web/current/release.json']));
    expect(marker).toMatchObject({
      app: 'web',
      release,
      digest: digests.v1,
      environment: 'dev',
      host: 'dev1',
    });

    const store = openStore(repoRoot);
    try {
      expect(store.releases.list('dev')).toEqual([
        expect.objectContaining({ host: 'dev1', app: 'web', releaseId: release, digest: digests.v1 }),
      ]);
    } finally {
      store.close();
    }
  });

  it('plans zero changes when the same digest is deployed again, and changes nothing', async () => {
    const { ctx } = ctxFor(dev, 'v1');
    expect(await deployHandler.plan(ctx, deploy())).toEqual([]);
    const before = await releasesOn('dev1');
    expect(await deployHandler.apply(ctx, deploy())).toEqual({ changed: false, hosts: { dev1: 'ok' } });
    expect(await releasesOn('dev1')).toEqual(before);
  });

  it('after a runner died between the switch and the record, releases again and stops what it left running', async () => {
    // What a runner killed after the commit leaves: dev1 runs v2 but the ledger still says v1 last ...
    const died: ReleaseLedger = { ...runLedger(ledgerStore, 1), record: () => undefined };
    await deployHandler.apply(ctxFor(dev, 'v2', undefined, died).ctx, deploy());
    const unrecorded = JSON.parse(
      await sb.exec('dev1', ['cat', '/srv/slipway/apps/web/current/release.json']),
    );
    // ... and a release of an attempt it interrupted earlier still runs (holding a port).
    const stray = 'web-20200101-000000-0000000';
    await sb.exec('dev1', [
      'docker',
      'run',
      '-d',
      '--label',
      `com.docker.compose.project=${stray}`,
      `${image}@${digests.v1}`,
      'sleep',
      '3600',
    ]);
    const { ctx } = ctxFor(dev, 'v2');
    const plan = await deployHandler.plan(ctx, deploy());
    expect(plan).toEqual([
      expect.objectContaining({
        host: 'dev1',
        detail: expect.stringContaining(
          `release ${unrecorded.release} runs it but the ledger records release`,
        ),
      }),
    ]);
    expect(await deployHandler.apply(ctx, deploy())).toEqual({ changed: true, hosts: { dev1: 'changed' } });
    const [last] = ledgerStore.releases.list('dev', { host: 'dev1', limit: 1 });
    const live = JSON.parse(await sb.exec('dev1', ['cat', '/srv/slipway/apps/web/current/release.json']));
    expect(last).toMatchObject({ releaseId: live.release, digest: digests.v2 });
    const projects = await sb.exec('dev1', [
      'docker',
      'ps',
      '-a',
      '--format',
      '{{.Label "com.docker.compose.project"}}',
    ]);
    expect(projects.split('\n').filter((p) => p.startsWith('web-'))).toEqual([live.project]);
    expect(await throughCaddy(sb, 'dev1', 'web.test', '/version.txt')).toBe('web 2.0.0 200');
  });

  it('promotes exactly the digest dev ran to prod in batches, stopping the old release', async () => {
    const first = ctxFor(prod, 'v1');
    await deployHandler.apply(first.ctx, deploy('100%'));
    const { ctx, lines } = ctxFor(prod, 'v2');
    const plan = await deployHandler.plan(ctx, deploy());
    expect(plan.map((c) => [c.host, c.action])).toEqual(PROD.map((h) => [h, 'change']));
    expect(await deployHandler.apply(ctx, deploy())).toMatchObject({ changed: true });
    expect(lines.filter((l) => l.line.startsWith('batch ')).map((l) => l.line)).toEqual([
      'batch 1/3: prod1',
      'batch 2/3: prod2',
      'batch 3/3: prod3',
    ]);
    for (const h of PROD) {
      expect(await throughCaddy(sb, h, 'web.test', '/version.txt')).toBe('web 2.0.0 200');
      // Only the new release's containers still run.
      const marker = JSON.parse(await sb.exec(h, ['cat', '/srv/slipway/apps/web/current/release.json']));
      expect(marker.digest).toBe(digests.v2);
      const envFile = await sb.exec(h, ['cat', '/srv/slipway/apps/web/current/.env']);
      expect(envFile).toContain(`APP_TOKEN=${PROD_TOKEN}`);
      expect(envFile).not.toContain(APP_TOKEN);
      const projects = await sb.exec(h, [
        'docker',
        'ps',
        '--format',
        '{{.Label "com.docker.compose.project"}}',
      ]);
      expect(projects.trim().split('\n')).toEqual([marker.project]);
    }
  });

  it('rolls a host back when the health check fails: the old version keeps answering, the rollout stops', async () => {
    const before = Object.fromEntries(await Promise.all(PROD.map(async (h) => [h, await releasesOn(h)])));
    const { ctx, lines, statuses } = ctxFor(prod, 'broken');
    await expect(deployHandler.apply(ctx, deploy())).rejects.toThrow(
      /deploy stopped: prod1: service web unhealthy|health check/,
    );
    expect(statuses.filter((s) => s.host === 'prod1').map((s) => s.status)).toContain('rolled-back');
    expect(statuses.filter((s) => s.host !== 'prod1').map((s) => s.status)).toEqual(
      expect.arrayContaining(['skipped']),
    );
    const log = lines.map((l) => l.line).join('\n');
    expect(log).toContain('--- logs of service web');
    // The container's own output, demultiplexed from the engine's log stream, with timestamps.
    expect(log).toMatch(/\[web\] \d{4}-\d\d-\d\dT\S+ .*response:404/);
    expect(log).toContain('rolled back');
    for (const h of PROD) {
      expect(await throughCaddy(sb, h, 'web.test', '/version.txt')).toBe('web 2.0.0 200');
      expect(await releasesOn(h)).toEqual(before[h]);
    }
    const store = openStore(repoRoot);
    try {
      expect(store.releases.list('prod').map((r) => r.digest)).not.toContain(digests.broken);
    } finally {
      store.close();
    }
  });

  it('fails before touching any host when the registry is unreachable', async () => {
    const before = await releasesOn('prod1');
    const { ctx } = ctxFor(prod, 'v3');
    ctx.pipeline.pipeline.image = `${sb.registry.address.replace(/:\d+$/, ':5999')}/acme/web`;
    await expect(deployHandler.apply(ctx, deploy())).rejects.toThrow(/unreachable/);
    expect(await releasesOn('prod1')).toEqual(before);
  });

  it('names what to check when no Docker Engine answers at the docker_socket, and changes nothing', async () => {
    const before = await releasesOn('prod1');
    const hosts = new Map(prod.hosts);
    const prod1 = hosts.get('prod1')!;
    hosts.set('prod1', { ...prod1, vars: { ...prod1.vars, docker_socket: '/run/no-docker.sock' } });
    const { ctx } = ctxFor({ ...prod, hosts }, 'v3');
    await expect(deployHandler.apply(ctx, deploy())).rejects.toThrow(
      /no Docker Engine answers at \/run\/no-docker\.sock through SSH .*docker_socket/,
    );
    expect(await releasesOn('prod1')).toEqual(before);
    expect(await throughCaddy(sb, 'prod1', 'web.test', '/version.txt')).toBe('web 2.0.0 200');
  });

  it('stops the rollout when a host dies mid-rollout, leaving the rest untouched and the ledger exact', async () => {
    const before = await releasesOn('prod3');
    const { ctx, statuses } = ctxFor(prod, 'v3');
    const hostStatus = ctx.hostStatus;
    ctx.hostStatus = (host, status, detail) => {
      hostStatus(host, status, detail);
      if (host === 'prod1' && status === 'changed') killHostSsh(sb, 'prod2');
    };
    try {
      await expect(deployHandler.apply(ctx, deploy())).rejects.toThrow(/prod2/);
    } finally {
      await sb.startSshd('prod2');
    }
    const final = (h: string) => statuses.filter((s) => s.host === h).at(-1)?.status;
    expect([final('prod1'), final('prod2'), final('prod3')]).toEqual(['changed', 'unreachable', 'skipped']);
    expect(await throughCaddy(sb, 'prod1', 'web.test', '/version.txt')).toBe('web 3.0.0 200');
    expect(await throughCaddy(sb, 'prod2', 'web.test', '/version.txt')).toBe('web 2.0.0 200');
    expect(await throughCaddy(sb, 'prod3', 'web.test', '/version.txt')).toBe('web 2.0.0 200');
    expect(await releasesOn('prod3')).toEqual(before);
    const store = openStore(repoRoot);
    try {
      const v3 = store.releases.list('prod').filter((r) => r.digest === digests.v3);
      expect(v3.map((r) => r.host)).toEqual(['prod1']);
    } finally {
      store.close();
    }
  });

  it("restores a recorded release without rebuilding: its digest and env, not today's, named for its commit", async () => {
    const store = openStore(repoRoot);
    const v1 = store.releases.list('prod', { host: 'prod1' }).find((r) => r.digest === digests.v1)!;
    store.close();
    const rollback = { ledgerId: v1.id, releaseId: v1.releaseId, digest: v1.digest };
    const { ctx } = ctxFor(prod, 'v3', rollback);
    // Today's configuration differs from the recorded one: the rollback must not take it.
    ctx.pipeline.pipeline.env = { GREETING: 'changed since' };
    const plan = await deployHandler.plan(ctx, deploy('100%'));
    expect(plan.map((c) => c.detail).join('\n')).toContain(`rollback to release ${v1.releaseId}`);
    await deployHandler.apply(ctx, deploy('100%'));
    for (const h of PROD) {
      expect(await throughCaddy(sb, h, 'web.test', '/version.txt')).toBe('web 1.0.0 200');
      const marker = JSON.parse(await sb.exec(h, ['cat', '/srv/slipway/apps/web/current/release.json']));
      expect(marker).toMatchObject({ digest: digests.v1, sha: shas.v1, restores: v1.releaseId });
      expect(marker.release).toMatch(new RegExp(`-${shas.v1.slice(0, 7)}(-\\d+)?$`));
      const env = await sb.exec(h, ['cat', `${RELEASES}/${marker.release}/.env`]);
      expect(env).toContain("GREETING='hello world'");
      // Its secrets are resolved again, for prod: prod's value, never dev's.
      expect(env).toContain(`APP_TOKEN=${PROD_TOKEN}`);
      expect(env).not.toContain(APP_TOKEN);
    }
    const after = openStore(repoRoot);
    try {
      const restored = after.releases.list('prod').filter((r) => r.restores === v1.releaseId);
      expect(restored.map((r) => r.host).sort()).toEqual(PROD);
      expect(restored[0]!.config?.env).toEqual({ GREETING: 'hello world' });
    } finally {
      after.close();
    }
  });
});
