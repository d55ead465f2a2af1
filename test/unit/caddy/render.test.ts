import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderCaddyConfig } from '../../../src/caddy/render.ts';
import { sites } from '../../../src/config/schema/sites.ts';
import { exampleSites } from './fixtures.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const web = { name: 'web1', groups: ['web'] };
const upstreams = new Map([['shop/api', ['127.0.0.1:20001']]]);

/** Writes `cfg` to `<dir>/<name>.json` and expects the real `caddy validate` to accept it (Caddy's state stays in `dir`). */
async function expectCaddyAccepts(dir: string, name: string, cfg: unknown): Promise<void> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(cfg));
  const { stdout, stderr } = await promisify(execFile)('caddy', ['validate', '--config', file], {
    env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
  });
  expect(stdout + stderr).toContain('Valid configuration');
}

describe('renderCaddyConfig', () => {
  it('renders the ACME config of a web host (golden)', async () => {
    const cfg = renderCaddyConfig({ sites: exampleSites('acme'), environment: 'dev', host: web, upstreams });
    await expect(JSON.stringify(cfg, null, 2) + '\n').toMatchFileSnapshot('golden/acme-web1.json.txt');
  });

  it('renders the sandbox config with the internal issuer and plain HTTP (golden)', async () => {
    const cfg = renderCaddyConfig({
      sites: exampleSites('internal'),
      environment: 'prod',
      host: web,
      upstreams: new Map(),
      ports: { http: 8080, https: 8443 },
    });
    await expect(JSON.stringify(cfg, null, 2) + '\n').toMatchFileSnapshot('golden/internal-web1.json.txt');
  });

  it('is deterministic whatever the order of domains and routes in sites.yml', () => {
    const a = exampleSites();
    const b = sites.parse({
      tls: a.tls,
      sites: Object.fromEntries(
        Object.entries(a.sites)
          .reverse()
          .map(([d, s]) => [d, { ...s, routes: [...s.routes].reverse() }]),
      ),
    });
    const render = (s: typeof a) =>
      JSON.stringify(renderCaddyConfig({ sites: s, environment: 'dev', host: web, upstreams }));
    expect(render(b)).toBe(render(a));
  });

  it('serves a site only on its hosts group and environments', () => {
    const other = { name: 'db1', groups: ['db'] };
    const cfg = renderCaddyConfig({ sites: exampleSites(), environment: 'dev', host: other, upstreams });
    const apps = cfg.apps as { http: { servers: Record<string, { routes: { '@id': string }[] }> } };
    const routes = apps.http.servers.slipway!.routes.map((r) => r['@id']);
    expect(routes).toEqual(['site:status.example.com']);
  });

  it('renders only the admin block when the host serves no site', () => {
    const s = sites.parse({
      sites: { 'a.example.com': { hosts: 'web', routes: [{ redirect: { to: 'https://b.example.com/' } }] } },
    });
    const cfg = renderCaddyConfig({
      sites: s,
      environment: 'dev',
      host: { name: 'x', groups: [] },
      upstreams,
    });
    expect(cfg).toEqual({
      admin: { listen: 'unix//run/caddy/admin.sock', origins: ['', 'localhost'], config: { persist: true } },
    });
  });

  it('refuses two routes for the same path of a domain', () => {
    const s = sites.parse({
      sites: {
        'a.example.com': {
          routes: [{ redirect: { to: 'https://b.example.com/' } }, { static: { root: '/srv' } }],
        },
      },
    });
    expect(() => renderCaddyConfig({ sites: s, environment: 'dev', host: web, upstreams })).toThrow(
      'sites.yml: a.example.com has two routes for path /',
    );
  });

  it('renders configs the real caddy binary accepts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-render-'));
    try {
      for (const issuer of ['acme', 'internal'] as const) {
        const cfg = renderCaddyConfig({
          sites: exampleSites(issuer),
          environment: 'prod',
          host: web,
          upstreams,
        });
        await expectCaddyAccepts(dir, issuer, cfg);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('route paths', () => {
  const one = (routes: unknown[]) =>
    renderCaddyConfig({
      sites: sites.parse({ sites: { 'a.example.com': { routes } } }),
      environment: 'dev',
      host: web,
      upstreams,
    });

  it('reads /docs/* and /docs/ as the prefix /docs', () => {
    const cfg = JSON.stringify(one([{ path: '/docs/*', static: { root: '/srv/docs' } }]));
    expect(cfg).toContain('"match":[{"path":["/docs","/docs/*"]}]');
    expect(cfg).toContain('"strip_path_prefix":"/docs"');
  });

  it("serves a sync step's live release through its current link", () => {
    const cfg = JSON.stringify(one([{ path: '/docs', static: { sync: 'handbook', spa: true } }]));
    expect(cfg).toContain('"handler":"file_server","root":"/srv/slipway/sync/handbook/current/files"');
    expect(cfg).toContain('"file":{"root":"/srv/slipway/sync/handbook/current/files"');
    expect(() =>
      sites.parse({ sites: { 'a.example.com': { routes: [{ static: { sync: '../etc' } }] } } }),
    ).toThrow();
    expect(() =>
      sites.parse({ sites: { 'a.example.com': { routes: [{ static: { sync: 'a', root: '/srv' } }] } } }),
    ).toThrow();
  });

  it('refuses two spellings of the same prefix', () => {
    expect(() =>
      one([
        { path: '/docs', static: { root: '/srv/docs' } },
        { path: '/docs/*', redirect: { to: 'https://b.example.com/' } },
      ]),
    ).toThrow('sites.yml: a.example.com has two routes for paths /docs and /docs/*');
  });

  it("renders the sample repository's infra/sites.yml into a config Caddy accepts", async () => {
    const text = await readFile(join(REPO_ROOT, 'infra/sites.yml'), 'utf8');
    const dir = await mkdtemp(join(tmpdir(), 'slipway-render-'));
    try {
      for (const environment of ['dev', 'prod']) {
        const cfg = renderCaddyConfig({ sites: sites.parse(parse(text)), environment, host: web, upstreams });
        await expectCaddyAccepts(dir, environment, cfg);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
