import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildContext, dockerfileInContext } from '../../../src/docker/build-context.ts';

async function entries(stream: NodeJS.ReadableStream): Promise<string[]> {
  const names: string[] = [];
  const ex = extract();
  ex.on('entry', (header, body, next) => {
    names.push(header.type === 'directory' ? `${header.name}/` : header.name);
    body.on('end', next);
    body.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  stream.pipe(ex);
  await done;
  return names.filter((n) => n !== './' && n !== '.').sort();
}

describe('buildContext', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctx-'));
    await mkdir(join(dir, 'node_modules/keep'), { recursive: true });
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await writeFile(join(dir, 'src/app.sh'), 'echo hi\n');
    await writeFile(join(dir, 'secret.env'), 'TOKEN=x\n');
    await writeFile(join(dir, 'node_modules/a.js'), '');
    await writeFile(join(dir, 'node_modules/keep/b.js'), '');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('sends everything when there is no .dockerignore', async () => {
    expect(await entries(buildContext(dir))).toEqual([
      'Dockerfile',
      'node_modules/',
      'node_modules/a.js',
      'node_modules/keep/',
      'node_modules/keep/b.js',
      'secret.env',
      'src/',
      'src/app.sh',
    ]);
  });

  it('leaves out ignored paths but always sends the Dockerfile and .dockerignore', async () => {
    await writeFile(
      join(dir, '.dockerignore'),
      '# comment\n*.env\nnode_modules\nDockerfile\n.dockerignore\n',
    );
    expect(await entries(buildContext(dir))).toEqual(['.dockerignore', 'Dockerfile', 'src/', 'src/app.sh']);
  });

  it('walks into an ignored directory when an exception re-includes something below it', async () => {
    await writeFile(join(dir, '.dockerignore'), 'node_modules\n!node_modules/keep\n');
    const names = await entries(buildContext(dir));
    expect(names).toContain('node_modules/keep/b.js');
    expect(names).not.toContain('node_modules/a.js');
  });
});

describe('dockerfileInContext', () => {
  it('defaults to Dockerfile and makes paths relative to the context', () => {
    expect(dockerfileInContext('/repo/app', undefined)).toBe('Dockerfile');
    expect(dockerfileInContext('/repo/app', 'docker/web.Dockerfile')).toBe('docker/web.Dockerfile');
  });
  it('refuses a Dockerfile outside the context', () => {
    expect(() => dockerfileInContext('/repo/app', '../other/Dockerfile')).toThrow(/inside the build context/);
  });
});
