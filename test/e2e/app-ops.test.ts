import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { cleanHost } from '../support/app-deploy.ts';
import { cloneOnSandbox, commitAsPusher } from '../support/cli-on-clone.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { waitFor } from '../support/wait-for.ts';

const HOSTS = ['dev1', 'prod1'];

/**
 * `slipway app status|logs|exec` on a clone of this repository whose web app was deployed to the sandbox's
 * dev host by `slipway run pipelines/app.yml --job deploy-dev`: every read goes through the Docker API
 * over the SSH-forwarded socket, exec is audited, and bad requests change nothing.
 */
describe('slipway app status, logs and exec on a deployed app', () => {
  let sb: SandboxFixture;
  const on = cloneOnSandbox({ prefix: 'slipway-app-ops-', timeoutMs: 300_000 });
  const { slipway } = on;
  const audit = () => {
    const store = new Store(on.at.env.SLIPWAY_STATE!);
    try {
      return store.gates.auditTrail();
    } finally {
      store.close();
    }
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'appops', hosts: HOSTS });
    for (const h of HOSTS) await cleanHost(sb, h);
    await on.setUp(sb.inventoriesRoot, { SLIPWAY_REGISTRY_PASSWORD: sb.registry.password });
    const file = join(on.at.clone, 'pipelines/app.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('10.207.0.1:5000', sb.registry.address));
    await commitAsPusher(on.at.clone, 'web on the appops sandbox');
    const run = await slipway('run', 'pipelines/app.yml', '--job', 'deploy-dev');
    expect(run.exitCode, run.stderr).toBe(0);
  }, 600_000);

  afterAll(async () => {
    if (sb) for (const h of HOSTS) await cleanHost(sb, h).catch(() => undefined);
    await on.tearDown();
  });

  it('status: per host the live release, its digest, health and since when', async () => {
    const [ledger] = JSON.parse((await slipway('releases', 'dev', '--json')).stdout);
    const r = await slipway('app', 'status', 'dev', 'web', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const [row] = JSON.parse(r.stdout);
    expect(row).toMatchObject({
      host: 'dev1',
      health: 'healthy',
      release: { release: ledger.releaseId, digest: ledger.digest, environment: 'dev', app: 'web' },
      services: [{ service: 'web', state: 'healthy', restarts: 0 }],
    });
    expect(Date.parse(row.services[0].since)).toBeGreaterThan(Date.parse(row.release.deployedAt) - 120_000);

    const text = await slipway('app', 'status', 'dev', 'web');
    expect(text.stdout).toContain('web in dev');
    expect(text.stdout).toMatch(
      new RegExp(`dev1\\s+healthy\\s+${ledger.releaseId}\\s+${ledger.digest.slice(7, 19)}`),
    );
    expect(text.stdout).toMatch(/web: healthy since \d{4}-\d\d-\d\d /);
  });

  it('logs: the last lines through the Docker API, and --follow streams new ones until Ctrl-C', async () => {
    const tail = await slipway('app', 'logs', 'dev', 'web', '--tail', '3', '--json');
    expect(tail.exitCode, tail.stderr).toBe(0);
    const lines = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines[0]).toMatchObject({
      host: 'dev1',
      service: 'web',
      stream: expect.stringMatching(/std(out|err)/),
    });

    const follow = execa(
      join(REPO_ROOT, 'bin/slipway'),
      [
        '-C',
        on.at.clone,
        '--inventories',
        sb.inventoriesRoot,
        'app',
        'logs',
        'dev',
        'web',
        '--tail',
        '0',
        '-f',
      ],
      { env: on.at.env, reject: false },
    );
    let out = '';
    follow.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    // Written to the container's own stdout (PID 1's), as the app itself would print it.
    const marker = `follow-marker-${Date.now()}`;
    await waitFor(
      'the followed line',
      async () => {
        await slipway('app', 'exec', 'dev', 'web', '--', 'sh', '-c', `echo ${marker} > /proc/1/fd/1`);
        return out.includes(marker);
      },
      60_000,
    );
    expect(out).toContain(`dev1 web | ${marker}`);
    follow.kill('SIGINT');
    const ended = await follow;
    expect(ended.exitCode, ended.stderr).toBe(0);
  });

  it('exec: argv in the release container without a shell, its exit code, each one audited', async () => {
    const before = audit().length;
    const literal = await slipway(
      'app',
      'exec',
      'dev',
      'web',
      'web',
      '--',
      'echo',
      '$(id -u); rm -rf /www',
      '`x`',
    );
    expect(literal.exitCode, literal.stderr).toBe(0);
    expect(literal.stdout).toBe('$(id -u); rm -rf /www `x`');
    const env1 = await slipway('app', 'exec', 'dev', 'web', '--', 'sh', '-c', 'echo "$APP_ENV"');
    expect(env1.stdout).toBe('dev');
    const missing = await slipway('app', 'exec', 'dev', 'web', '--', 'no-such-tool');
    expect(missing.exitCode).toBe(126); // the engine: the command cannot be started
    expect(missing.stdout + missing.stderr).toContain('executable file not found');
    const failed = await slipway('app', 'exec', 'dev', 'web', '--', 'sh', '-c', 'exit 7');
    expect(failed.exitCode).toBe(7);
    const rows = audit().slice(before);
    expect(rows.map((a) => [a.action, a.outcome])).toEqual([
      ['exec', 'accepted'],
      ['exec-exit', 'recorded'],
      ['exec', 'accepted'],
      ['exec-exit', 'recorded'],
      ['exec', 'accepted'],
      ['exec-exit', 'recorded'],
      ['exec', 'accepted'],
      ['exec-exit', 'recorded'],
    ]);
    expect(rows[0]).toMatchObject({
      actor: 'alice (os:root, uid 0)',
      channel: 'cli',
      reason: expect.stringContaining('web/web on dev1 in dev'),
    });
    expect(rows[0]!.reason).toContain(JSON.stringify(['echo', '$(id -u); rm -rf /www', '`x`']));
    expect(rows[7]!.reason).toMatch(/exited 7$/);
    // The www directory the injected text names is still there.
    expect(await sb.exec('dev1', ['sh', '-c', 'docker exec $(docker ps -q | head -1) ls /www'])).toContain(
      'index.html',
    );
  });

  it('refuses bad requests clearly and changes nothing', async () => {
    const before = audit().length;
    const releases = (await slipway('releases', 'prod', '--json')).stdout;
    const notDeployed = await slipway('app', 'logs', 'prod', 'web');
    expect(notDeployed.exitCode).toBe(1);
    expect(notDeployed.stderr).toContain('web is not deployed in prod: no release of it on prod1');
    const noCommand = await slipway('app', 'exec', 'dev', 'web');
    expect(noCommand.exitCode).toBe(2);
    expect(noCommand.stderr).toContain('exec needs a command after --');
    const emptyCommand = await slipway('app', 'exec', 'dev', 'web', 'web', '--');
    expect(emptyCommand.exitCode).toBe(2);
    const unknownService = await slipway('app', 'exec', 'dev', 'web', 'db', '--', 'true');
    expect(unknownService.exitCode).toBe(1);
    expect(unknownService.stderr).toContain('has no service db (its services: web)');
    const unknownApp = await slipway('app', 'status', 'dev', '../../etc');
    expect(unknownApp.exitCode).toBe(2);
    expect(unknownApp.stderr).toContain(
      'no pipeline job deploys ../../etc to dev (apps deployed to dev: notes, web)',
    );
    expect(audit().length).toBe(before);
    expect((await slipway('releases', 'prod', '--json')).stdout).toBe(releases);
    expect(await sb.exec('prod1', ['sh', '-c', 'ls /srv/slipway 2>/dev/null || echo none'])).toContain(
      'none',
    );
  });
});
