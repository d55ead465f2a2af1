import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRepo } from '../../src/config/load-repo.ts';
import { cleanHost, startHostCaddy, stopHostCaddy, throughCaddy } from '../support/app-deploy.ts';
import { pushAppVersion, slipwayOnClone } from '../support/cli-on-clone.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const HOSTS = ['dev1', 'prod1', 'prod2'];

/**
 * The shipped pipelines/app.yml end to end through the CLI, on a clone of this repository pointed at
 * a sandbox instance: a pushed commit builds once, deploys to dev, waits at the prod gate, deploys the
 * same digest to prod once approved; a second push, then `slipway rollback prod` restores the first; a
 * third whose prod deploy fails while a prod host is down, then `slipway rerun` ships it once the host is back.
 */
describe('pipelines/app.yml from a push to prod, then rollback, then a failed prod deploy re-run', () => {
  let sb: SandboxFixture;
  let dir: string;
  let clone: string;
  let env: NodeJS.ProcessEnv;

  const slipway = slipwayOnClone({
    clone: () => clone,
    inventoriesRoot: () => sb.inventoriesRoot,
    env: () => env,
    timeoutMs: 300_000,
  });
  const push = (version: string) => pushAppVersion(clone, sb.registry.address, version);
  const runToGate = async () => {
    const r = await slipway('run', 'pipelines/app.yml', '--detach');
    expect(r.exitCode, r.stderr).toBe(3);
    return Number(/run (\d+)/.exec(r.stderr)![1]);
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'apppipe', hosts: HOSTS });
    for (const h of HOSTS) await cleanHost(sb, h);
    dir = await mkdtemp(join(tmpdir(), 'slipway-app-pipeline-'));
    clone = join(dir, 'repo');
    await execa('git', ['clone', '--quiet', repoRoot, clone]);
    // Pushes to main, whichever branch this checkout is on: prod admits main only.
    await execa('git', ['-C', clone, 'checkout', '--quiet', '-B', 'main']);
    env = {
      ...process.env,
      SLIPWAY_STATE: join(dir, 'state.db'),
      SLIPWAY_REGISTRY_PASSWORD: sb.registry.password,
    };
    const loaded = await loadRepo(clone, { inventoriesRoot: sb.inventoriesRoot });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    for (const h of HOSTS)
      await startHostCaddy(
        sb,
        h,
        loaded.repo.sitesFiles.get('infra/sites.yml')!,
        h.startsWith('dev') ? 'dev' : 'prod',
      );
  });

  afterAll(async () => {
    if (sb) {
      for (const h of HOSTS) {
        await stopHostCaddy(sb, h);
        await cleanHost(sb, h).catch(() => undefined);
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds once, deploys dev, stops at the gate, then ships the same digest to prod', async () => {
    await push('1.0');
    const run = await runToGate();
    expect(await throughCaddy(sb, 'dev1', 'web.dev.example.test', '/version.txt')).toBe('web 1.0 200');
    // Prod is untouched until the gate opens.
    expect(await throughCaddy(sb, 'prod1', 'web.example.test', '/version.txt')).toBe(
      '503 Service Unavailable 503',
    );

    const approved = await slipway('approve', String(run), 'deploy-prod');
    expect(approved.exitCode, approved.stderr).toBe(0);
    for (const h of ['prod1', 'prod2']) {
      expect(await throughCaddy(sb, h, 'web.example.test', '/version.txt')).toBe('web 1.0 200');
    }
    const info = await throughCaddy(sb, 'prod1', 'web.example.test', '/cgi-bin/info');
    const sha = (await execa('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout;
    expect(info).toContain(`revision=${sha}`);
    expect(info).toContain('environment=prod');

    const dev = JSON.parse((await slipway('releases', 'dev', '--json')).stdout);
    const prod = JSON.parse((await slipway('releases', 'prod', '--json')).stdout);
    expect(dev).toHaveLength(1);
    expect(prod.map((r: { host: string }) => r.host).sort()).toEqual(['prod1', 'prod2']);
    // Prod runs exactly the digest dev ran, and the ledger knows who let it through.
    for (const r of prod) expect(r).toMatchObject({ digest: dev[0].digest, approver: 'alice', runId: run });
  });

  it('rolls prod back to the previous release through the same gate, without a build', async () => {
    await push('1.1');
    const run = await runToGate();
    expect((await slipway('approve', String(run), 'deploy-prod')).exitCode).toBe(0);
    expect(await throughCaddy(sb, 'prod2', 'web.example.test', '/version.txt')).toBe('web 1.1 200');

    const rollback = await slipway('rollback', 'prod', '--detach');
    expect(rollback.exitCode, rollback.stderr).toBe(3);
    const rollbackRun = Number(/run (\d+)/.exec(rollback.stderr)![1]);
    expect(rollback.stderr).toContain('rollback of web in prod');
    const approved = await slipway('approve', String(rollbackRun), 'deploy-prod');
    expect(approved.exitCode, approved.stderr).toBe(0);
    expect(approved.stdout + approved.stderr).not.toMatch(/build ›|push ›/);
    for (const h of ['prod1', 'prod2']) {
      expect(await throughCaddy(sb, h, 'web.example.test', '/version.txt')).toBe('web 1.0 200');
    }
    // Dev keeps what it last ran.
    expect(await throughCaddy(sb, 'dev1', 'web.dev.example.test', '/version.txt')).toBe('web 1.1 200');
    const listed = await slipway('releases', 'prod');
    expect(listed.stdout.trim().split('\n')).toHaveLength(1 + 6);
  });

  it('retries a prod deploy that failed while a prod host was down: the same digest, no new approval', async () => {
    await push('1.2');
    const run = await runToGate();
    expect(await throughCaddy(sb, 'dev1', 'web.dev.example.test', '/version.txt')).toBe('web 1.2 200');
    // The approval arrives while prod2 is down: the job cannot plan it and fails before touching prod.
    await sb.stopSshd('prod2');
    let failed: Awaited<ReturnType<typeof slipway>>;
    try {
      failed = await slipway('approve', String(run), 'deploy-prod');
    } finally {
      await sb.startSshd('prod2');
    }
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`run ${run} failed: deploy-prod: .*prod2`));
    expect(failed.stderr).toContain(`re-run the failed jobs with: slipway rerun ${run}`);
    for (const h of ['prod1', 'prod2']) {
      expect(await throughCaddy(sb, h, 'web.example.test', '/version.txt')).toBe('web 1.0 200');
    }

    // The host is back: only deploy-prod runs again, from the digest dev runs, under the approval given.
    const rerun = await slipway('rerun', String(run));
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const rerunId = Number(
      new RegExp(`^run (\\d+): re-run of run ${run} \\(deploy-prod\\)`, 'm').exec(rerun.stderr)![1],
    );
    expect(rerun.stdout + rerun.stderr).not.toMatch(/build ›|push ›|deploy-dev ›/);
    for (const h of ['prod1', 'prod2']) {
      expect(await throughCaddy(sb, h, 'web.example.test', '/version.txt')).toBe('web 1.2 200');
    }
    const [dev] = JSON.parse((await slipway('releases', 'dev', '--json')).stdout);
    expect(dev).toMatchObject({ runId: run });
    const prod = JSON.parse((await slipway('releases', 'prod', '--json')).stdout).slice(0, 2);
    for (const r of prod) expect(r).toMatchObject({ digest: dev.digest, approver: 'alice', runId: rerunId });
    const shown = JSON.parse((await slipway('show', String(rerunId), '--json')).stdout);
    expect(shown.run).toMatchObject({ rerunOf: run, status: 'succeeded' });
    expect(shown.outputs['image.digest']).toBe(dev.digest);
    expect(shown.gates).toEqual([
      expect.objectContaining({ status: 'approved', carriedFrom: expect.objectContaining({ runId: run }) }),
    ]);
    expect(shown.audit.map((a: { action: string; outcome: string }) => `${a.action} ${a.outcome}`)).toEqual([
      'carry-over recorded',
    ]);
  });
});
