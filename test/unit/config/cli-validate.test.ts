import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { materializeCase } from '../../support/config-fixture.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..', '..', '..');
const SLIPWAY = join(REPO, 'bin', 'slipway');
/** Global options: the sample repository with the sandbox's inventories swapped in. */
const ON_SANDBOX_INVENTORIES = ['--repo', REPO, '--inventories', join(REPO, 'inventories', 'sandbox')];

async function slipway(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(SLIPWAY, args, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('slipway validate', () => {
  it('exits 0 on the sample ops repository', async () => {
    const r = await slipway(['--repo', REPO, 'validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 2 pipelines, 2 environments/);
  });

  it('exits 0 with the sandbox inventories swapped in', async () => {
    const r = await slipway([...ON_SANDBOX_INVENTORIES, 'validate']);
    expect(r.code).toBe(0);
  });

  it('exits 2 and prints file:line:col errors on a broken repository', async () => {
    const { root, cleanup } = materializeCase('needs-unknown-job');
    try {
      const r = await slipway(['--repo', root, 'validate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'pipelines/app.yml:8:13: jobs.push.needs.0: unknown job "biuld"; did you mean "build"?\n',
      );
      const json = await slipway(['--repo', root, 'validate', '--json']);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        errors: [
          {
            file: 'pipelines/app.yml',
            line: 8,
            col: 13,
            key: 'jobs.push.needs.0',
            message: 'unknown job "biuld"',
            hint: 'did you mean "build"?',
          },
        ],
      });
    } finally {
      cleanup();
    }
  });

  it('exits 2 in a directory with no slipway.yml instead of "ok: 0 pipelines"', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'slipway-not-ops-'));
    try {
      const r = await slipway(['--repo', empty, 'validate']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `slipway.yml:1:1: expected an ops repository, got ${empty} with no slipway.yml`,
      );
      expect(r.stderr).toContain('pass --repo DIR');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a private key without printing its material', async () => {
    const { root, cleanup } = materializeCase('private-key-in-keys');
    try {
      const r = await slipway(['--repo', root, 'validate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('PRIVATE KEY COMMITTED');
      expect(r.stderr + r.stdout).not.toContain('Tk9UIEEgUkVBTCBLRVkg');
    } finally {
      cleanup();
    }
  });
});

describe('slipway describe', () => {
  it('prints the job graph in run order with gates and target hosts', async () => {
    const r = await slipway([...ON_SANDBOX_INVENTORIES, 'describe', 'web']);
    expect(r.code).toBe(0);
    const jobs = [...r.stdout.matchAll(/^ {2}(\d+)\. (\S+)/gm)].map((m) => m[2]);
    expect(jobs).toEqual(['build', 'push', 'deploy-dev', 'deploy-prod']);
    expect(r.stdout).toContain('-> web: dev1 (10.207.0.11)');
    expect(r.stdout).toContain('gate: approval by alice, bob, @acme/ops (1 required');
  });
});

describe('slipway schema', () => {
  it('writes the same schema files that are committed in schemas/', async () => {
    const out = mkdtempSync(join(tmpdir(), 'slipway-schema-'));
    try {
      const r = await slipway(['--repo', REPO, 'schema', '--out', out]);
      expect(r.code).toBe(0);
      const files = readdirSync(out).sort();
      expect(files).toEqual(readdirSync(join(REPO, 'schemas')).sort());
      for (const f of files)
        expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(REPO, 'schemas', f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
