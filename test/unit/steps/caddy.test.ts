import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sites as sitesSchema } from '../../../src/config/schema/sites.ts';
import type { Inventory, InventoryHost } from '../../../src/config/types.ts';
import { caddyHandler } from '../../../src/steps/caddy.ts';
import { caddyKind } from '../../../src/steps/kinds/caddy.ts';
import { type LocalCaddy, startLocalCaddy } from '../../support/caddy.ts';
import { freePort } from '../../support/free-port.ts';
import { stepContext } from '../../support/step-context.ts';
import { startThrowawaySshd, type ThrowawaySshd } from '../../support/throwaway-sshd.ts';

// The step reaches a real Caddy through a real SSH-forwarded socket (throwaway sshd on loopback).
describe('caddy step (plan and apply through SSH forwarding)', () => {
  let sshd: ThrowawaySshd;
  let caddy: LocalCaddy;
  let host: InventoryHost;
  const installs: string[][] = [];
  const handler = caddyHandler(async (_ctx, hosts) => {
    installs.push(hosts.map((h) => h.name));
    throw new Error('Caddy runs on this host: the installer must not be called');
  });
  const sites = sitesSchema.parse({
    tls: { issuer: 'internal' },
    sites: {
      'app.test': {
        routes: [{ proxy: { app: 'web' } }, { path: '/go', redirect: { to: 'https://x.test/' } }],
      },
      'db-only.test': { hosts: 'db', routes: [{ custom: { handler: 'static_response', body: 'db' } }] },
    },
  });
  const step = (install = true) => caddyKind.schema.parse({ caddy: { install } });
  const ctxFor = (socket: string, port?: number) => {
    const h = { ...host, ...(port ? { port } : {}), vars: { ...host.vars, caddy_admin_socket: socket } };
    const inventory: Inventory = {
      environment: 'dev',
      dir: '/nonexistent',
      hosts: new Map([[h.name, h]]),
      groups: new Map([
        ['all', [h.name]],
        ['web', [h.name]],
      ]),
      ansibleList: {},
    };
    return stepContext({
      workdir: caddy.dir,
      sha: 'a'.repeat(40),
      pipeline: { name: 'infra', jobs: { caddy: { environment: 'dev', steps: [{ caddy: {} }] } } },
      inventory,
      repo: { sitesFiles: new Map([['infra/sites.yml', sites]]) },
    });
  };

  beforeAll(async () => {
    sshd = await startThrowawaySshd();
    caddy = await startLocalCaddy();
    const base = sshd.inventoryHost('web1');
    host = {
      ...base,
      groups: ['all', 'web'],
      vars: { ...base.vars, caddy_http_port: caddy.ports.http, caddy_https_port: caddy.ports.https },
    };
  });
  afterAll(async () => {
    await caddy?.stop();
    await sshd?.close();
  });

  it('plans the sites of the host as new, then applies them, then plans nothing', async () => {
    const { ctx, statuses, lines } = ctxFor(caddy.socket);
    const plan = await handler.plan(ctx, step());
    expect(plan.map((c) => `${c.host} ${c.action} ${c.subject}`)).toEqual([
      'web1 change caddy settings (admin, servers, TLS)',
      'web1 add site app.test',
    ]);
    expect(await handler.apply(ctx, step())).toEqual({ changed: true, hosts: { web1: 'changed' } });
    expect(statuses.map((s) => s.status)).toEqual(['running', 'changed']);
    expect(lines.map((l) => l.line)).toContain('add site app.test');
    expect(await handler.plan(ctx, step())).toEqual([]);
    expect(await handler.apply(ctx, step())).toEqual({ changed: false, hosts: { web1: 'ok' } });
    expect(installs).toEqual([]);
  });

  it('keeps the upstreams a deploy switched to', async () => {
    const { ctx } = ctxFor(caddy.socket);
    await caddy.admin.patchUpstreams('upstream:app.test:%2F', ['127.0.0.1:20777']);
    expect(await handler.plan(ctx, step())).toEqual([]);
  });

  it('shows a route edited by hand as drift on the host', async () => {
    const { value } = await caddy.admin.get();
    await caddy.admin.load(
      JSON.parse(JSON.stringify(value).replace('https://x.test/', 'https://evil.test/')),
    );
    const plan = await handler.plan(ctxFor(caddy.socket).ctx, step());
    expect(plan).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: 'route app.test/go',
        detail: 'handle.0.headers.Location.0: "https://evil.test/" -> "https://x.test/"',
      },
    ]);
  });

  it('plans an install where Caddy does not answer, and refuses when install is false', async () => {
    const { ctx } = ctxFor(`${caddy.dir}/absent.sock`);
    const plan = await handler.plan(ctx, step());
    expect(plan.map((c) => `${c.action} ${c.subject}`)).toEqual([
      'run install and start Caddy (roles/caddy)',
      'change caddy settings (admin, servers, TLS)',
      'add site app.test',
    ]);
    await expect(handler.plan(ctx, step(false))).rejects.toThrow(
      /web1: Caddy does not answer .* and install is false/,
    );
  });

  it('marks an unreachable host and changes nothing', async () => {
    const { ctx, statuses } = ctxFor(caddy.socket, await freePort());
    await expect(handler.apply(ctx, step())).rejects.toThrow(/1 host failed:\n {2}web1: /);
    expect(statuses).toEqual([
      { host: 'web1', status: 'unreachable', detail: expect.stringMatching(/^web1: /) },
    ]);
  });

  it('renders the sites file the step names, not infra/sites.yml', async () => {
    const edge = sitesSchema.parse({
      tls: { issuer: 'internal' },
      sites: { 'edge.test': { routes: [{ redirect: { to: 'https://x.test/' } }] } },
    });
    const { ctx } = ctxFor(caddy.socket);
    ctx.repo.sitesFiles.set('infra/edge.yml', edge);
    const plan = await handler.plan(ctx, caddyKind.schema.parse({ caddy: { sites: 'infra/edge.yml' } }));
    const subjects = plan.map((c) => `${c.action} ${c.subject}`);
    expect(subjects).toContain('add site edge.test');
    expect(subjects.filter((s) => s.includes('app.test'))).not.toContain('add site app.test');
    await expect(
      handler.plan(ctx, caddyKind.schema.parse({ caddy: { sites: 'infra/none.yml' } })),
    ).rejects.toThrow("infra/none.yml is missing: the caddy step renders Caddy's config from it");
  });
});
