import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchUpstreams } from '../../src/caddy/apply.ts';
import { adminSocketOf, openHostAdmin } from '../../src/caddy/host-admin.ts';
import { installCaddy } from '../../src/caddy/install.ts';
import { type Sites, sites as sitesSchema } from '../../src/config/schema/sites.ts';
import type { Inventory, InventoryHost } from '../../src/config/types.ts';
import { appRoutes } from '../../src/deploy/routes.ts';
import { TransportPool } from '../../src/remote/pool.ts';
import { caddyStepHandler } from '../../src/steps/caddy.ts';
import { caddyKind } from '../../src/steps/kinds/caddy.ts';
import { resetRoleCaddy, stopRoleCaddy } from '../support/role-caddy.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { stepContext } from '../support/step-context.ts';

const HOSTS = ['h1', 'h2'];
const CONTAINER = 'caddy-e2e-backend';
const BACKEND_PORT = 18081;
const SOCKET = '/run/caddy/admin.sock';

describe('Caddy on sandbox hosts: role, step, every route type, restart, drift', () => {
  let sb: SandboxFixture;
  let inventory: Inventory;
  const handler = caddyStepHandler;
  const runRole = (names: readonly string[]) =>
    installCaddy({ inventory, hosts: names.map((n) => inventory.hosts.get(n)!), root: REPO_ROOT });

  const sites = (extra: Sites['sites'] = {}): Sites =>
    sitesSchema.parse({
      tls: { issuer: 'internal' },
      sites: {
        'shop.test': {
          hosts: 'web',
          routes: [
            { static: { root: '/srv/www', spa: true } },
            { path: '/api', proxy: { upstreams: [`127.0.0.1:${BACKEND_PORT}`], health_path: '/healthz' } },
            { path: '/old', redirect: { to: 'https://shop.test/new', status: 301 } },
            { path: '/ping', custom: { handler: 'static_response', body: 'pong', status_code: 200 } },
          ],
        },
        'app.test': { hosts: 'web', routes: [{ proxy: { app: 'shop', health_path: '/healthz' } }] },
        ...extra,
      },
    });
  const ctxFor = (s: Sites) =>
    stepContext({
      workdir: REPO_ROOT,
      sha: 'c'.repeat(40),
      pipeline: { name: 'infra', jobs: { caddy: { environment: 'test', steps: [{ caddy: {} }] } } },
      inventory,
      repo: { root: REPO_ROOT, sitesFiles: new Map([['infra/sites.yml', s]]) },
    });
  const step = caddyKind.schema.parse({ caddy: { hosts: 'web' } });
  const addressOf = (name: string) => sb.hosts.find((h) => h.name === name)!.address;
  const get = async (host: string, path: string) => {
    const res = await request(`http://${addressOf(host)}${path}`, {
      headers: { host: 'shop.test' },
      reset: true, // Caddy 2.6 closes idle keep-alive connections at each config load
    });
    return { status: res.statusCode, location: res.headers.location, body: await res.body.text() };
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'caddy', hosts: HOSTS });
    const hosts = new Map<string, InventoryHost>(
      sb.hosts.map((h) => [
        h.name,
        {
          name: h.name,
          address: h.address,
          port: h.port,
          user: h.user,
          groups: ['all', 'web'],
          vars: {
            ansible_host: h.address,
            ansible_user: h.user,
            ansible_ssh_private_key_file: sb.sshKey,
            slipway_known_hosts: sb.knownHosts,
          },
        },
      ]),
    );
    inventory = {
      environment: 'test',
      dir: join(sb.inventoriesRoot, 'test'),
      hosts,
      groups: new Map([
        ['all', HOSTS],
        ['web', HOSTS],
      ]),
      ansibleList: {},
    };
    for (const h of HOSTS) {
      // A Caddy and its persisted config left by an earlier run of this file.
      await resetRoleCaddy(sb, h);
      await sb.exec(h, ['mkdir', '-p', '/srv/www/assets']);
      await sb.exec(h, ['tee', '/srv/www/index.html'], { input: `<h1>shop on ${h}</h1>\n` });
      await sb.exec(h, ['tee', '/srv/www/assets/app.js'], { input: 'console.log("shop")\n' });
      await sb.exec(
        h,
        ['docker', 'login', '--username', sb.registry.username, '--password-stdin', sb.registry.address],
        {
          input: sb.registry.password,
        },
      );
      await sb.exec(h, ['docker', 'rm', '-f', CONTAINER]).catch(() => undefined);
      await sb.exec(h, [
        'docker',
        'run',
        '-d',
        '--name',
        CONTAINER,
        '-p',
        `127.0.0.1:${BACKEND_PORT}:8080`,
        sb.registry.baseImage,
        'sh',
        '-c',
        `mkdir -p /www/api && echo ok > /www/healthz && echo "backend ${h}" > /www/api/index.html && exec httpd -f -p 8080 -h /www`,
      ]);
    }
  });

  afterAll(async () => {
    for (const h of HOSTS) {
      await stopRoleCaddy(sb, h).catch(() => undefined);
      await sb?.exec(h, ['docker', 'rm', '-f', CONTAINER]).catch(() => undefined);
    }
  });

  it('plans an install on hosts without Caddy, installs with roles/caddy and serves every route type', async () => {
    const { ctx, lines } = ctxFor(sites());
    const plan = await handler.plan(ctx, step);
    expect(plan.filter((c) => c.action === 'run').map((c) => `${c.host} ${c.subject}`)).toEqual([
      'h1 install and start Caddy (roles/caddy)',
      'h2 install and start Caddy (roles/caddy)',
    ]);
    expect(await handler.apply(ctx, step)).toEqual({
      changed: true,
      hosts: { h1: 'changed', h2: 'changed' },
    });
    const installing = lines.filter((l) => l.line.startsWith('Caddy does not answer')).map((l) => l.host);
    expect(installing.sort()).toEqual(HOSTS);
    const started = lines.filter((l) => /Start Caddy with --resume as the caddy user: changed$/.test(l.line));
    expect(started.map((l) => l.host).sort()).toEqual(HOSTS);

    for (const h of HOSTS) {
      expect(await get(h, '/')).toMatchObject({ status: 200, body: `<h1>shop on ${h}</h1>\n` });
      expect(await get(h, '/orders/42/edit')).toMatchObject({ status: 200, body: `<h1>shop on ${h}</h1>\n` });
      expect(await get(h, '/assets/app.js')).toMatchObject({ status: 200, body: 'console.log("shop")\n' });
      expect(await get(h, '/api/')).toMatchObject({ status: 200, body: `backend ${h}\n` });
      expect(await get(h, '/old')).toMatchObject({ status: 301, location: 'https://shop.test/new' });
      expect(await get(h, '/ping')).toMatchObject({ status: 200, body: 'pong' });
    }
  });

  it('runs Caddy as the caddy user with the admin API on the unix socket only', async () => {
    for (const h of HOSTS) {
      expect(await sb.exec(h, ['stat', '-c', '%F %U', SOCKET])).toBe('socket caddy');
      const listeners = await sb.exec(h, ['ss', '-Hltnp']);
      const caddyPorts = listeners
        .split('\n')
        .filter((l) => l.includes('"caddy"'))
        .map((l) => l.split(/\s+/)[3]!.replace(/^.*:/, ''))
        .sort();
      expect([...new Set(caddyPorts)]).toEqual(['443', '80']);
    }
  });

  it('is idempotent: the role changes nothing and the plan is empty on a second run', async () => {
    expect((await runRole(HOSTS)).hosts).toEqual({ h1: 'ok', h2: 'ok' });
    expect(await handler.plan(ctxFor(sites()).ctx, step)).toEqual([]);
    expect(await handler.apply(ctxFor(sites()).ctx, step)).toEqual({
      changed: false,
      hosts: { h1: 'ok', h2: 'ok' },
    });
  });

  it('answers 503 for an app with no release yet, then serves it once a deploy switches its upstreams', async () => {
    const appGet = async (h: string) => {
      const res = await request(`http://${addressOf(h)}/api/`, {
        headers: { host: 'app.test' },
        reset: true,
      });
      return { status: res.statusCode, body: await res.body.text() };
    };
    expect(await appGet('h1')).toEqual({ status: 503, body: '503 Service Unavailable\n' });
    const pool = new TransportPool({ root: REPO_ROOT });
    try {
      for (const h of HOSTS) {
        // What a deploy's switch does: every proxy handler of the app, through the forwarded admin socket.
        const host = inventory.hosts.get(h)!;
        const ids = appRoutes(sites(), 'shop', 'test', host).map((r) => r.upstreamId);
        const admin = await openHostAdmin(pool.get(host), undefined, adminSocketOf(host));
        try {
          const written = await switchUpstreams(
            admin.admin,
            ids.map((id) => ({ id, dials: [`127.0.0.1:${BACKEND_PORT}`] })),
          );
          expect(written.map((w) => w.id)).toEqual(['upstream:app.test:%2F']);
        } finally {
          await admin.close();
        }
        expect(await appGet(h)).toEqual({ status: 200, body: `backend ${h}\n` });
      }
    } finally {
      await pool.closeAll();
    }
    // The infra pipeline leaves the deploy's upstreams alone.
    expect(await handler.plan(ctxFor(sites()).ctx, step)).toEqual([]);
  });

  it('detects a route edited by hand on one host, and puts it back', async () => {
    await sb.exec('h2', [
      'curl',
      '-sf',
      '--unix-socket',
      SOCKET,
      '-X',
      'PATCH',
      '-H',
      'Content-Type: application/json',
      '-d',
      '["https://elsewhere.test/"]',
      'http://localhost/id/site:shop.test:%252Fold/handle/0/headers/Location',
    ]);
    expect(await get('h2', '/old')).toMatchObject({ location: 'https://elsewhere.test/' });
    const plan = await handler.plan(ctxFor(sites()).ctx, step);
    expect(plan).toEqual([
      {
        host: 'h2',
        action: 'change',
        subject: 'route shop.test/old',
        detail: 'handle.0.headers.Location.0: "https://elsewhere.test/" -> "https://shop.test/new"',
      },
    ]);
    await handler.apply(ctxFor(sites()).ctx, step);
    expect(await get('h2', '/old')).toMatchObject({ location: 'https://shop.test/new' });
  });

  it("fails an invalid custom handler with Caddy's message and keeps serving the old config", async () => {
    const bad = sites({
      'bad.test': { hosts: 'web', routes: [{ path: '/', custom: { handler: 'no_such_handler' } }] },
    });
    const { ctx, statuses } = ctxFor(bad);
    await expect(handler.apply(ctx, step)).rejects.toThrow(/unknown module: http\.handlers\.no_such_handler/);
    expect(
      statuses
        .filter((s) => s.status === 'failed')
        .map((s) => s.host)
        .sort(),
    ).toEqual(HOSTS);
    for (const h of HOSTS) expect(await get(h, '/ping')).toMatchObject({ status: 200, body: 'pong' });
    expect(await handler.plan(ctxFor(sites()).ctx, step)).toEqual([]);
  });

  it('names the host roles/caddy could not reach, and the step marks it unreachable', async () => {
    await sb.stopSshd('h2');
    try {
      await expect(runRole(['h2'])).rejects.toThrow(
        /^roles\/caddy failed: h2 \(unreachable: .*Connection refused\)/,
      );
      const { ctx, statuses } = ctxFor(sites());
      await expect(handler.apply(ctx, step)).rejects.toThrow(/1 host failed:\n {2}h2: /);
      expect(statuses.filter((s) => s.host === 'h2').map((s) => s.status)).toEqual(['unreachable']);
    } finally {
      await sb.startSshd('h2');
    }
  });

  it('keeps the config when Caddy restarts (the role resumes the persisted config)', async () => {
    await stopRoleCaddy(sb, 'h1');
    await expect(get('h1', '/ping')).rejects.toThrow();
    await runRole(['h1']);
    expect(await get('h1', '/ping')).toMatchObject({ status: 200, body: 'pong' });
    expect(await get('h1', '/api/')).toMatchObject({ status: 200, body: 'backend h1\n' });
    expect(await handler.plan(ctxFor(sites()).ctx, step)).toEqual([]);
  });
});
