import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/errors.ts';
import { ExitCode } from '../../../src/cli/exit-codes.ts';
import { initRepo, shippedName } from '../../../src/cli/init-repo.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { REPO, slipway } from '../../support/slipway-cli.ts';

describe('slipway init', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-init-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes an ops repository that validates as it is, with infra and app pipelines and dev and prod', async () => {
    const repo = join(dir, 'ops');
    const { files } = initRepo(repo);
    const loaded = await loadRepo(repo);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect(loaded.repo.pipelines.map((p) => p.pipeline.name).sort()).toEqual(['infra', 'web']);
    expect([...loaded.repo.inventories.keys()].sort()).toEqual(['dev', 'prod']);
    expect(files).toEqual(
      expect.arrayContaining(['.gitignore', '.vscode/settings.json', 'infra/access.yml']),
    );
  });

  it('writes the JSON schemas of this version, and every schema an editor is pointed at exists', () => {
    initRepo(dir);
    for (const file of readdirSync(join(REPO, 'schemas'))) {
      expect(readFileSync(join(dir, 'schemas', file), 'utf8')).toBe(
        readFileSync(join(REPO, 'schemas', file), 'utf8'),
      );
    }
    const yamlFiles = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.yml'),
    );
    const named = yamlFiles.flatMap((f) => {
      const m = /^# yaml-language-server: \$schema=(\S+)/.exec(readFileSync(join(dir, f), 'utf8'));
      return m ? [resolve(dirname(join(dir, f)), m[1]!)] : [];
    });
    // Every YAML file but the compose file names its schema.
    expect(named).toHaveLength(yamlFiles.length - 1);
    const settings = JSON.parse(readFileSync(join(dir, '.vscode', 'settings.json'), 'utf8'));
    for (const p of [...named, ...Object.keys(settings['yaml.schemas']).map((s) => join(dir, s))]) {
      expect(existsSync(p), p).toBe(true);
    }
  });

  it('refuses a non-empty directory and writes nothing into it', () => {
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    expect(() => initRepo(dir)).toThrow(CliError);
    expect(() => initRepo(dir)).toThrow(
      /expected an empty or missing directory, got .* with 1 entries \(notes\.txt\)/,
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('refuses a directory holding only a hidden entry, such as .git', () => {
    mkdirSync(join(dir, '.git'));
    expect(() => initRepo(dir)).toThrow(/with 1 entries \(\.git\)/);
    expect(readdirSync(dir)).toEqual(['.git']);
  });

  it('refuses a path that is a file', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => initRepo(file)).toThrow(/expected a directory to write the ops repository into, got .*file/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('names dotfiles the package ships without their dot', () => {
    expect(shippedName('dot-vscode/settings.json')).toBe('.vscode/settings.json');
    expect(shippedName('dot-gitignore')).toBe('.gitignore');
    expect(shippedName('apps/web/Dockerfile')).toBe('apps/web/Dockerfile');
  });

  it('on the CLI: --json lists the files and the next steps; validate agrees; a second init exits 1', async () => {
    const repo = join(dir, 'ops');
    const init = await slipway(['init', repo, '--json']);
    expect(init.code).toBe(ExitCode.Ok);
    const out = JSON.parse(init.stdout);
    expect(out.dir).toBe(repo);
    expect(out.files).toContain('pipelines/web.yml');
    expect(out.next.length).toBeGreaterThan(0);

    const validate = await slipway(['-C', repo, 'validate', '--json']);
    expect(JSON.parse(validate.stdout)).toMatchObject({
      ok: true,
      summary: { pipelines: 2, environments: 2 },
    });

    const again = await slipway(['init', repo]);
    expect(again.code).toBe(ExitCode.Failed);
    expect(again.stderr).toMatch(/expected an empty or missing directory.*nothing written/);
    expect(again.stdout).toBe('');
  });

  it('with no DIR, writes into --repo and prints what to fill in next', async () => {
    const init = await slipway(['-C', dir, 'init']);
    expect(init.code).toBe(ExitCode.Ok);
    expect(init.stdout).toMatch(/wrote a new ops repository in .*\(\d+ files\)/);
    expect(init.stdout).toMatch(/1\. slipway\.yml: people/);
    expect(existsSync(join(dir, 'slipway.yml'))).toBe(true);
  });

  it('slipway --version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const r = await slipway(['--version']);
    expect(r.stdout.trim()).toBe(version);
  });
});
