import { resolve } from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/docker/registry-client.ts';
import { buildHandler } from '../../src/steps/build.ts';
import { buildKind } from '../../src/steps/kinds/build.ts';
import { pushKind } from '../../src/steps/kinds/push.ts';
import { pushHandler } from '../../src/steps/push.ts';
import { ensureBaseImage } from '../support/base-image.ts';
import { startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { stepContext } from '../support/step-context.ts';

const docker = new Docker();
const SHA = 'feedc0de0123456789abcdef0123456789abcdef';
const repoRoot = resolve(import.meta.dirname, '../..');

describe('build and push steps on the sample app', () => {
  let registry: TestRegistry;
  let base: string;
  beforeAll(async () => {
    base = await ensureBaseImage(docker);
    registry = await startRegistry();
  });
  afterAll(async () => {
    for (const tag of [SHA, 'latest']) {
      await docker
        .getImage(`${registry.address}/acme/web:${tag}`)
        .remove({ force: true })
        .catch(() => {});
    }
    await registry?.stop();
  });

  /** A step context of a pipeline that builds `image` from apps/web at `sha` and pushes it to the registry. */
  const publishContext = (image: string, sha: string) =>
    stepContext({
      workdir: repoRoot,
      sha,
      secrets: { REGISTRY_PASSWORD: registry.password },
      pipeline: {
        name: 'web',
        image,
        registry: { username: registry.username, password_secret: 'REGISTRY_PASSWORD' },
        jobs: { publish: { steps: [{ build: { context: 'apps/web' } }, { push: {} }] } },
      },
    });

  it('plans, builds with OCI labels, pushes with the secret and records the digest', async () => {
    const image = `${registry.address}/acme/web`;
    const { ctx, lines, outputs } = publishContext(image, SHA);
    const build = buildKind.schema.parse({
      build: { context: 'apps/web', args: { BASE_IMAGE: base, VERSION: '1.0.0' } },
    });
    const push = pushKind.schema.parse({ push: { tags: ['latest'] } });

    expect(await buildHandler.plan(ctx, build)).toEqual([
      expect.objectContaining({ action: 'run', subject: `build ${image}:${SHA}` }),
    ]);
    expect((await pushHandler.plan(ctx, push)).map((c) => c.subject)).toEqual([
      `push ${image}:${SHA}`,
      `push ${image}:latest`,
    ]);

    await buildHandler.apply(ctx, build);
    expect(outputs['image.tag']).toBe(`${image}:${SHA}`);
    const labels = (await docker.getImage(`${image}:${SHA}`).inspect()).Config.Labels;
    expect(labels['org.opencontainers.image.revision']).toBe(SHA);
    // The label dates the commit, never the build; this made-up SHA is no commit of the checkout.
    expect(labels['org.opencontainers.image.created']).toBeUndefined();

    await pushHandler.apply(ctx, push);
    const digest = outputs['image.digest']!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs['image.ref']).toBe(`${image}@${digest}`);

    const auth = { username: registry.username, password: registry.password, registry: registry.address };
    const client = new RegistryClient({ registry: registry.address, scheme: 'http', auth });
    expect(await client.manifestDigest('acme/web', 'latest')).toBe(digest);
    expect(await client.manifestDigest('acme/web', SHA)).toBe(digest);

    const log = lines.map((l) => l.line).join('\n');
    expect(log).toContain('Step 1/');
    expect(log).not.toContain(registry.password);
  });

  it('gives two builds of one commit one digest: the labels date the commit, never the build', async () => {
    const head = (await execa('git', ['-C', repoRoot, 'rev-parse', 'HEAD'])).stdout;
    const image = `${registry.address}/acme/repro`;
    const build = buildKind.schema.parse({
      build: { context: 'apps/web', args: { BASE_IMAGE: base, VERSION: '2.0' } },
    });
    const push = pushKind.schema.parse({ push: {} });
    const buildAndPush = async () => {
      const { ctx, outputs } = publishContext(image, head);
      await buildHandler.apply(ctx, build);
      await pushHandler.apply(ctx, push);
      return outputs['image.digest']!;
    };
    try {
      const first = await buildAndPush();
      // Later, on the same runner: the same commit builds again (a re-run of a failed build job).
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await buildAndPush()).toBe(first);
      const labels = (await docker.getImage(`${image}:${head}`).inspect()).Config.Labels;
      const committed = (await execa('git', ['-C', repoRoot, 'show', '-s', '--format=%cI', head])).stdout;
      expect(Date.parse(labels['org.opencontainers.image.created']!)).toBe(Date.parse(committed));
    } finally {
      await docker
        .getImage(`${image}:${head}`)
        .remove({ force: true })
        .catch(() => {});
    }
  });

  it('fails with the secret name, not a value, when the registry secret is missing', async () => {
    const { ctx } = stepContext({
      workdir: repoRoot,
      sha: SHA,
      pipeline: {
        name: 'web',
        image: `${registry.address}/acme/web`,
        registry: { username: 'u', password_secret: 'REGISTRY_PASSWORD' },
        jobs: { publish: { steps: [{ push: {} }] } },
      },
    });
    await expect(pushHandler.apply(ctx, pushKind.schema.parse({ push: {} }))).rejects.toThrow(
      /REGISTRY_PASSWORD/,
    );
  });
});
