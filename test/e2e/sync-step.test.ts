import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sites as sitesSchema } from '../../src/config/schema/sites.ts';
import type { Inventory } from '../../src/config/types.ts';
import { TransportPool } from '../../src/remote/pool.ts';
import { syncKind } from '../../src/steps/kinds/sync.ts';
import { syncHandler } from '../../src/steps/sync.ts';
import { buildManifest } from '../../src/sync/manifest.ts';
import { sandboxInventory, startHostCaddy, stopHostCaddy, throughCaddy } from '../support/app-deploy.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { stepContext } from '../support/step-context.ts';

const HOSTS = ['h1', 'h2'];
const ROOT = '/srv/slipway/sync/handbook';
const DOMAIN = 'docs.test';
const SITES = sitesSchema.parse({
  tls: { issuer: 'internal' },
  sites: { [DOMAIN]: { hosts: 'web', routes: [{ static: { sync: 'handbook', spa: true } }] } },
});

describe('sync step on sandbox hosts: plan diff, release, Caddy serving it, change, failed upload, rollback', () => {
  let sb: SandboxFixture;
  let inventory: Inventory;
  let repo: string;
  let pool: TransportPool;
  const write = (rel: string, text: string) => {
    mkdirSync(join(repo, 'site', rel, '..'), { recursive: true });
    writeFileSync(join(repo, 'site', rel), text);
  };
  const step = (keep = 5) =>
    syncKind.schema.parse({ sync: { hosts: 'web', source: 'site', to: 'handbook', keep } });
  const ctxOf = () =>
    stepContext({
      workdir: repo,
      sha: 'd'.repeat(40),
      pipeline: { name: 'docs', jobs: { ship: { environment: 'test', steps: [{ sync: step().sync }] } } },
      inventory,
      transports: pool,
    });
  const live = (h: string) => sb.exec(h, ['readlink', `${ROOT}/current`]).then((s) => s.trim());
  const releases = (h: string) =>
    sb.exec(h, ['ls', '-1a', `${ROOT}/releases`]).then((s) =>
      s
        .split('\n')
        .filter((l) => l && l !== '.' && l !== '..')
        .sort(),
    );
  const caddyConfig = (h: string) =>
    sb.exec(h, ['curl', '-sf', '--unix-socket', '/run/caddy/admin.sock', 'http://localhost/config/']);

  beforeAll(async () => {
    sb = await useSandbox({ name: 'sync', hosts: HOSTS });
    inventory = sandboxInventory(sb, 'test', HOSTS);
    repo = mkdtempSync(join(tmpdir(), 'slipway-sync-e2e-'));
    pool = new TransportPool({ root: repo });
    write('index.html', '<h1>handbook v1</h1>\n');
    write('guide/intro.html', 'intro v1\n');
    write('old.txt', 'going away\n');
    for (const h of HOSTS) {
      await sb.exec(h, ['rm', '-rf', ROOT]);
      await startHostCaddy(sb, h, SITES, 'test');
    }
  });

  afterAll(async () => {
    await pool?.closeAll();
    for (const h of HOSTS) await stopHostCaddy(sb, h);
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('plans every file as added, ships a release to both hosts, and Caddy serves it', async () => {
    const v1 = buildManifest(repo, 'site').id;
    for (const h of HOSTS) expect(await throughCaddy(sb, h, DOMAIN, '/')).toBe('404 Not Found 404');
    const plan = await syncHandler.plan(ctxOf().ctx, step());
    expect(plan.map((c) => `${c.host} ${c.action} ${c.subject}`)).toEqual(
      HOSTS.map((h) => `${h} add sync handbook: release ${v1} (3 added)`),
    );
    expect(plan[0]!.detail!.split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      '+ guide/intro.html',
      '+ index.html',
      '+ old.txt',
    ]);
    const { ctx, lines, outputs } = ctxOf();
    expect(await syncHandler.apply(ctx, step())).toEqual({
      changed: true,
      hosts: { h1: 'changed', h2: 'changed' },
    });
    expect(outputs['sync.handbook.release']).toBe(v1);
    expect(lines.filter((l) => l.line.startsWith(`release ${v1} is live (previous: none)`)).length).toBe(2);
    for (const h of HOSTS) {
      expect(await live(h)).toBe(`${ROOT}/releases/${v1}`);
      expect(await throughCaddy(sb, h, DOMAIN, '/')).toBe('<h1>handbook v1</h1> 200');
      expect(await throughCaddy(sb, h, DOMAIN, '/guide/intro.html')).toBe('intro v1 200');
      // A deep link of the single-page site gets index.html.
      expect(await throughCaddy(sb, h, DOMAIN, '/guide/missing')).toBe('<h1>handbook v1</h1> 200');
      // What Caddy's own user needs: files readable by all, directories searchable by all.
      const modes = ['guide', 'guide/intro.html'].map((p) => `${ROOT}/current/files/${p}`);
      expect(await sb.exec(h, ['stat', '-c', '%a %U', ...modes])).toBe('755 root\n644 root');
      // The manifest sits beside the files, not under what Caddy serves.
      expect(await throughCaddy(sb, h, DOMAIN, '/manifest.json')).toBe('<h1>handbook v1</h1> 200');
    }
  });

  it('plans nothing and makes no release for the same content', async () => {
    expect(await syncHandler.plan(ctxOf().ctx, step())).toEqual([]);
    expect(await syncHandler.apply(ctxOf().ctx, step())).toEqual({
      changed: false,
      hosts: { h1: 'ok', h2: 'ok' },
    });
    for (const h of HOSTS) expect(await releases(h)).toHaveLength(1);
  });

  it('plans the file diff of a change, switches without touching Caddy, and keeps the old release', async () => {
    const v1 = buildManifest(repo, 'site').id;
    write('index.html', '<h1>handbook v2</h1>\n');
    write('guide/setup.html', 'setup\n');
    rmSync(join(repo, 'site/old.txt'));
    const v2 = buildManifest(repo, 'site').id;
    const before = await Promise.all(HOSTS.map(caddyConfig));
    const plan = await syncHandler.plan(ctxOf().ctx, step());
    expect(plan.map((c) => `${c.host} ${c.action} ${c.subject}`)).toEqual(
      HOSTS.map((h) => `${h} change sync handbook: release ${v2} (1 added, 1 changed, 1 removed)`),
    );
    expect(plan[0]!.detail!.split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      '+ guide/setup.html',
      '~ index.html',
      '- old.txt',
    ]);
    const { ctx, lines } = ctxOf();
    await syncHandler.apply(ctx, step());
    expect(
      lines
        .filter((l) => l.line === `release ${v2} is live (previous: ${v1})`)
        .map((l) => l.host)
        .sort(),
    ).toEqual(HOSTS);
    for (const [i, h] of HOSTS.entries()) {
      expect(await throughCaddy(sb, h, DOMAIN, '/')).toBe('<h1>handbook v2</h1> 200');
      expect(await throughCaddy(sb, h, DOMAIN, '/guide/setup.html')).toBe('setup 200');
      expect(await releases(h)).toEqual([v1, v2].sort());
      expect(await caddyConfig(h)).toBe(before[i]);
    }
  });

  it('leaves every host on its live release when an upload fails on one of them', async () => {
    const v2 = buildManifest(repo, 'site').id;
    write('index.html', '<h1>handbook v3</h1>\n');
    const v3 = buildManifest(repo, 'site').id;
    // A file where h1's release directory must go: its rename fails after the upload.
    await sb.exec('h1', ['touch', `${ROOT}/releases/${v3}`]);
    const { ctx, statuses } = ctxOf();
    await expect(syncHandler.apply(ctx, step())).rejects.toThrow(/h1: mv -T -- failed/);
    expect(statuses.find((s) => s.host === 'h1' && s.status === 'failed')?.detail).toMatch(
      /current release untouched/,
    );
    expect(statuses.find((s) => s.host === 'h2' && s.status === 'skipped')?.detail).toBe(
      `release ${v3} removed again: another host failed its upload`,
    );
    for (const h of HOSTS) {
      expect(await live(h)).toBe(`${ROOT}/releases/${v2}`);
      expect(await throughCaddy(sb, h, DOMAIN, '/')).toBe('<h1>handbook v2</h1> 200');
    }
    expect(await releases('h2')).not.toContain(v3);
    expect((await releases('h1')).filter((r) => r.startsWith('.staging'))).toEqual([]);
    await sb.exec('h1', ['rm', '-f', `${ROOT}/releases/${v3}`]);
  });

  it('rolls back by syncing the earlier content again: the kept release goes live without an upload', async () => {
    write('index.html', '<h1>handbook v1</h1>\n');
    write('old.txt', 'going away\n');
    rmSync(join(repo, 'site/guide/setup.html'));
    const v1 = buildManifest(repo, 'site').id;
    const plan = await syncHandler.plan(ctxOf().ctx, step());
    expect(plan.map((c) => c.subject)).toEqual(
      HOSTS.map(
        () => `sync handbook: release ${v1} (1 added, 1 changed, 1 removed; kept on the host, no upload)`,
      ),
    );
    const { ctx, lines } = ctxOf();
    await syncHandler.apply(ctx, step());
    expect(lines.filter((l) => l.line === `release ${v1} is kept here: no upload`).length).toBe(2);
    for (const h of HOSTS) expect(await throughCaddy(sb, h, DOMAIN, '/')).toBe('<h1>handbook v1</h1> 200');
  });

  it('sends the hosts that switched back when one cannot switch, and prunes nothing', async () => {
    const v1 = buildManifest(repo, 'site').id;
    write('index.html', '<h1>handbook v4</h1>\n');
    const v4 = buildManifest(repo, 'site').id;
    // A directory where h1's `current` link must go: its switch fails after both uploads.
    await sb.exec('h1', ['sh', '-c', `rm -f ${ROOT}/current && mkdir -p ${ROOT}/current/in-the-way`]);
    const kept = await releases('h2');
    const { ctx, statuses } = ctxOf();
    await expect(syncHandler.apply(ctx, step(1))).rejects.toThrow(/h1: /);
    expect(statuses.find((s) => s.host === 'h2' && s.status === 'rolled-back')?.detail).toBe(
      `back on release ${v1}: another host could not switch`,
    );
    expect(await live('h2')).toBe(`${ROOT}/releases/${v1}`);
    expect(await throughCaddy(sb, 'h2', DOMAIN, '/')).toBe('<h1>handbook v1</h1> 200');
    expect(await releases('h2')).toEqual([...kept, v4].sort());
    await sb.exec('h1', [
      'sh',
      '-c',
      `rm -rf ${ROOT}/current && ln -s ${ROOT}/releases/${v1} ${ROOT}/current`,
    ]);
    for (const h of HOSTS) await sb.exec(h, ['rm', '-rf', `${ROOT}/releases/${v4}`]);
    write('index.html', '<h1>handbook v1</h1>\n');
  });

  it('prunes the releases past keep, never the live one, and what an interrupted removal left', async () => {
    const v1 = buildManifest(repo, 'site').id;
    // A removal killed half-way left the renamed directory of a release that is pruned now: it is never
    // listed as a release, and goes with it.
    const doomed = (await releases('h1')).find((r) => r !== v1 && !r.startsWith('.'))!;
    await sb.exec('h1', ['mkdir', '-p', `${ROOT}/releases/.removing-${doomed}/files`]);
    const plan = await syncHandler.plan(ctxOf().ctx, step(1));
    expect(plan.map((c) => c.action)).toEqual(['remove', 'remove']);
    expect(await syncHandler.apply(ctxOf().ctx, step(1))).toEqual({
      changed: true,
      hosts: { h1: 'changed', h2: 'changed' },
    });
    for (const h of HOSTS) {
      expect(await releases(h)).toEqual([v1]);
      expect(await throughCaddy(sb, h, DOMAIN, '/')).toBe('<h1>handbook v1</h1> 200');
    }
  });
});
