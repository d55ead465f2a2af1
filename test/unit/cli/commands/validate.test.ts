import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeCase } from '../../../support/config-fixture.ts';
import { ON_SANDBOX_INVENTORIES, REPO, slipway } from '../../../support/slipway-cli.ts';

describe('slipway validate', () => {
  it('exits 0 on the sample ops repository', async () => {
    const r = await slipway(['--repo', REPO, 'validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 4 pipelines, 2 environments/);
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
