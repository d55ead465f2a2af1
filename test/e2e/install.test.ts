import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/slipway-cli.ts';

// The package as users get it: `npm pack`, then `npm install -g` of the tarball into a prefix of its own
// (dependencies from the npm cache when it has them, else the registry; never the dev dependencies), and the
// installed `slipway` run from outside this checkout with Node 24 first on PATH.

const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const NODE24_PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
const env = { PATH: NODE24_PATH, HOME: process.env.HOME ?? '/root' };

let dir: string;
let prefix: string;
const installed = () => join(prefix, 'lib', 'node_modules', 'slipway');
const slipway = (args: string[], cwd = dir) =>
  execa(join(prefix, 'bin', 'slipway'), args, { cwd, env, extendEnv: false, reject: false, timeout: 60_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-install-'));
  prefix = join(dir, 'prefix');
  const npm = (args: string[], cwd: string) =>
    execa('npm', args, {
      cwd,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      timeout: 120_000,
    });
  const pack = await npm(['pack', '--json', '--pack-destination', dir], REPO);
  const [{ filename }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [{ filename: string }];
  await npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--omit=dev',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(dir, filename),
    ],
    dir,
  );
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('npm pack, npm install -g of the tarball', () => {
  it('installs JavaScript, the built-in roles and the init templates, and no dev dependency', () => {
    const pkg = installed();
    expect(existsSync(join(pkg, 'dist', 'cli', 'bin.js'))).toBe(true);
    expect(
      readdirSync(join(pkg, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')),
    ).toEqual([]);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    for (const role of ['caddy', 'ssh_keys'])
      expect(existsSync(join(pkg, 'roles', role, 'tasks', 'main.yml'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'ansible', 'callback', 'slipway_events.py'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'dashboard', 'assets', 'app.css'))).toBe(true);
    for (const f of ['Dockerfile', 'slipway-serve.service'])
      expect(existsSync(join(pkg, 'packaging', f))).toBe(true);
    expect(readdirSync(join(pkg, 'packaging')).sort()).toEqual(['Dockerfile', 'slipway-serve.service']);
    // Type declarations (@types/*) may come as dependencies of dependencies; the dev tools never may.
    const devTools = Object.keys(PKG.devDependencies).filter((d) => !d.startsWith('@types/'));
    expect(devTools).toContain('typescript');
    expect(devTools.filter((d) => existsSync(join(pkg, 'node_modules', d)))).toEqual([]);
  });

  it('slipway --version prints the package version', async () => {
    const r = await slipway(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(PKG.version);
  });

  it('loads every command without dev dependencies (--help registers them all)', async () => {
    const r = await slipway(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\binit \[options\] \[dir\]/);
    expect(r.stdout).toMatch(/\bserve\b/);
  });

  it('slipway init writes an ops repository that slipway validate accepts', async () => {
    const init = await slipway(['init', 'ops']);
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toMatch(/wrote a new ops repository in ops/);
    const validate = await slipway(['validate'], join(dir, 'ops'));
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toMatch(/^ok: 2 pipelines, 2 environments \(3 hosts\)/);
    expect(existsSync(join(dir, 'ops', '.gitignore'))).toBe(true);
    expect(existsSync(join(dir, 'ops', 'schemas', 'pipeline.schema.json'))).toBe(true);
  });

  const systemNode = existsSync('/usr/bin/node')
    ? execFileSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })
    : '24';
  it.skipIf(Number(systemNode) >= 24)(
    'on an older Node, says which Node it expects instead of a stack trace',
    async () => {
      const r = await execa('/usr/bin/node', [join(installed(), 'dist', 'cli', 'bin.js'), '--version'], {
        reject: false,
      });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^slipway: expected Node 24 or newer, got v\d+/);
    },
  );
});
