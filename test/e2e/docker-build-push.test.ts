import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildError, buildImage } from '../../src/docker/build.ts';
import { ociLabels } from '../../src/docker/image-ref.ts';
import { pushImage } from '../../src/docker/push.ts';
import { RegistryClient, RegistryError, registryScheme } from '../../src/docker/registry-client.ts';
import { ensureBaseImage } from '../support/base-image.ts';
import { freePort } from '../support/free-port.ts';
import { startRegistry, type TestRegistry } from '../support/registry-server.ts';

const docker = new Docker();
const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('build and push with the runner daemon and an authenticated registry', () => {
  let registry: TestRegistry;
  let context: string;
  let base: string;
  const tags: string[] = [];

  beforeAll(async () => {
    base = await ensureBaseImage(docker);
    registry = await startRegistry();
    context = await mkdtemp(join(tmpdir(), 'slipway-build-'));
    await mkdir(join(context, 'www'));
    await writeFile(join(context, 'www/index.html'), 'hello\n');
    await writeFile(join(context, 'ignored.txt'), 'must not reach the image\n');
    await writeFile(join(context, '.dockerignore'), 'ignored.txt\n');
    await writeFile(
      join(context, 'Dockerfile'),
      [
        `FROM ${base} AS base`,
        'ARG VERSION=none',
        'COPY . /ctx/',
        'RUN echo "$VERSION" > /version',
        'FROM base AS final',
        'RUN echo final > /stage',
        'FROM base AS broken',
        'RUN echo "about to fail" && exit 3',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const t of tags)
      await docker
        .getImage(t)
        .remove({ force: true })
        .catch(() => {});
    await registry?.stop();
    if (context) await rm(context, { recursive: true, force: true });
  });

  it('builds with args, target and labels, pushes with credentials, and the registry serves that digest', async () => {
    const repository = `${registry.address}/acme/web`;
    const tag = `${repository}:${SHA}`;
    tags.push(tag);
    const log: string[] = [];
    const built = await buildImage(docker, {
      context,
      tag,
      args: { VERSION: '1.2.3' },
      target: 'final',
      labels: ociLabels({ revision: SHA, source: 'https://example.com/acme/web' }),
      onLine: (l) => log.push(l),
    });
    expect(built.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(log.some((l) => l.includes('Step'))).toBe(true);

    const info = await docker.getImage(tag).inspect();
    expect(info.Config.Labels).toMatchObject({
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.source': 'https://example.com/acme/web',
    });
    const files = await runIn(tag, ['sh', '-c', 'cat /version /stage; ls /ctx']);
    expect(files).toContain('1.2.3');
    expect(files).toContain('final');
    expect(files).toContain('Dockerfile');
    expect(files).not.toContain('ignored.txt');

    const auth = { username: registry.username, password: registry.password, registry: registry.address };
    const digest = await pushImage(docker, { repository, tag: SHA, auth, onLine: (l) => log.push(l) });
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(log.join('\n')).not.toContain(registry.password);

    const scheme = await registryScheme(docker, registry.address);
    expect(scheme).toBe('http');
    const client = new RegistryClient({ registry: registry.address, scheme, auth });
    expect(await client.manifestDigest('acme/web', SHA)).toBe(digest);
    expect(await client.manifestDigest('acme/web', digest)).toBe(digest);
    expect(await client.manifestDigest('acme/web', `sha256:${'0'.repeat(64)}`)).toBeUndefined();
  });

  it('refuses a push with a wrong password, and the client reports refused credentials', async () => {
    const repository = `${registry.address}/acme/denied`;
    const tag = `${repository}:${SHA}`;
    tags.push(tag);
    await docker.getImage(base).tag({ repo: repository, tag: SHA });
    const auth = { username: registry.username, password: 'wrong', registry: registry.address };
    await expect(pushImage(docker, { repository, tag: SHA, auth })).rejects.toThrow(/auth|unauthorized/i);
    const client = new RegistryClient({ registry: registry.address, scheme: 'http', auth });
    await expect(client.manifestDigest('acme/web', SHA)).rejects.toThrow(/refused the credentials/);
  });

  it('reports an unreachable registry as such', async () => {
    const port = await freePort();
    const client = new RegistryClient({ registry: `127.0.0.1:${port}`, scheme: 'http' });
    await expect(client.manifestDigest('acme/web', SHA)).rejects.toBeInstanceOf(RegistryError);
    await expect(client.manifestDigest('acme/web', SHA)).rejects.toThrow(/unreachable/);
  });

  it('surfaces the build output of a failing build', async () => {
    const tag = `${registry.address}/acme/broken:${SHA}`;
    const err = await buildImage(docker, { context, tag, target: 'broken' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).message).toContain('about to fail');
    expect((err as BuildError).message).toMatch(/non-zero code: 3/);
  });
});

async function runIn(image: string, cmd: string[]): Promise<string> {
  const container = await docker.createContainer({ Image: image, Cmd: cmd });
  try {
    await container.start();
    await container.wait();
    const buf = await container.logs({ stdout: true, stderr: true, follow: false });
    return buf.toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
}
