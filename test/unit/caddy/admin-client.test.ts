import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin, CaddyAdminError, CaddyConflictError } from '../../../src/caddy/admin-client.ts';
import { convergeConfig, switchUpstreams } from '../../../src/caddy/apply.ts';
import { diffCaddyConfig } from '../../../src/caddy/diff.ts';
import { type CaddyJson, renderCaddyConfig, routeId } from '../../../src/caddy/render.ts';
import { sites } from '../../../src/config/schema/sites.ts';
import { appRoutes } from '../../../src/deploy/routes.ts';
import { type LocalCaddy, startLocalCaddy } from '../../support/caddy.ts';

const host = { name: 'web1', groups: ['web'] };

async function backend(name: string): Promise<{ server: Server; dial: string }> {
  const server = createServer((req, res) => res.end(`${name} ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { server, dial: `127.0.0.1:${addr.port}` };
}

/** A request on a connection of its own: each config load makes Caddy 2.6 close idle keep-alive ones. */
async function get(caddy: LocalCaddy, domain: string, path: string) {
  const res = await request(`http://127.0.0.1:${caddy.ports.http}${path}`, {
    headers: { host: domain },
    reset: true,
  });
  return { status: res.statusCode, location: res.headers.location, body: await res.body.text() };
}

describe('Caddy admin client against a real Caddy', () => {
  let caddy: LocalCaddy;
  let blue: Awaited<ReturnType<typeof backend>>;
  let green: Awaited<ReturnType<typeof backend>>;
  let desired: CaddyJson;
  let www: string;

  const sitesFile = () =>
    sites.parse({
      tls: { issuer: 'internal' },
      sites: {
        'www.test': {
          routes: [
            { static: { root: www, spa: true } },
            { path: '/api', proxy: { app: 'shop', health_path: '/' } },
            { path: '/old', redirect: { to: 'https://new.test/landing', status: 308 } },
            { path: '/ping', custom: { handler: 'static_response', body: 'pong' } },
          ],
        },
      },
    });
  const render = (dial: string, s = sitesFile()) =>
    renderCaddyConfig({
      sites: s,
      environment: 'dev',
      host,
      upstreams: new Map([['shop', [dial]]]),
      adminSocket: caddy.socket,
      ports: caddy.ports,
    });

  beforeAll(async () => {
    caddy = await startLocalCaddy();
    blue = await backend('blue');
    green = await backend('green');
    www = join(caddy.dir, 'www');
    await mkdir(join(www, 'assets'), { recursive: true });
    await writeFile(join(www, 'index.html'), '<h1>app shell</h1>\n');
    await writeFile(join(www, 'assets', 'app.js'), 'console.log(1)\n');
    desired = render(blue.dial);
  });
  afterAll(async () => {
    await caddy?.stop();
    blue?.server.close();
    green?.server.close();
  });

  it('reads a missing key as null, with Caddy 2.6 answering 200', async () => {
    expect((await caddy.admin.get('/config/apps')).value).toBeNull();
  });

  it('applies the full config with If-Match and every route type answers', async () => {
    const first = await convergeConfig(caddy.admin, desired, { host: 'web1' });
    expect(first.changes.map((c) => `${c.action} ${c.subject}`)).toEqual([
      'change caddy settings (admin, servers, TLS)',
      'add site www.test',
    ]);
    expect((await caddy.admin.get()).value).toEqual(desired);

    expect(await get(caddy, 'www.test', '/assets/app.js')).toMatchObject({
      status: 200,
      body: 'console.log(1)\n',
    });
    expect(await get(caddy, 'www.test', '/')).toMatchObject({ status: 200, body: '<h1>app shell</h1>\n' });
    expect(await get(caddy, 'www.test', '/orders/42')).toMatchObject({
      status: 200,
      body: '<h1>app shell</h1>\n',
    });
    expect(await get(caddy, 'www.test', '/api/items')).toMatchObject({
      status: 200,
      body: 'blue /api/items',
    });
    expect(await get(caddy, 'www.test', '/old')).toMatchObject({
      status: 308,
      location: 'https://new.test/landing',
    });
    expect(await get(caddy, 'www.test', '/ping')).toMatchObject({ status: 200, body: 'pong' });
  });

  it('plans zero changes on a second run with the same input', async () => {
    const again = await convergeConfig(caddy.admin, render(blue.dial), { host: 'web1' });
    expect(again).toEqual({ changes: [], conflicts: 0 });
  });

  it('refuses a write with a stale ETag (412) and leaves the config alone', async () => {
    // Caddy's ETag is the path plus a hash of the content there: it moves when the content does.
    const { etag } = await caddy.admin.get();
    await caddy.admin.load(render(green.dial));
    const stale = caddy.admin.putConfig(desired, etag);
    await expect(stale).rejects.toBeInstanceOf(CaddyConflictError);
    await expect(stale).rejects.toThrow('If-Match header did not match current config hash');
    expect(await get(caddy, 'www.test', '/api/x')).toMatchObject({ body: 'green /api/x' });
  });

  it('re-reads, re-plans and retries when someone writes between read and write', async () => {
    let raced = false;
    const racing = new (class extends CaddyAdmin {
      override async putConfig(config: unknown, etag?: string) {
        if (!raced) {
          raced = true;
          // another writer sneaks in between our read and our write
          await this.load(JSON.parse(JSON.stringify(render(green.dial)).replace('"pong"', '"pang"')));
        }
        return super.putConfig(config, etag);
      }
    })(caddy.socket);
    const result = await convergeConfig(racing, render(blue.dial, sitesFile()), { host: 'web1' });
    expect(result.conflicts).toBe(1);
    expect(result.changes.map((c) => c.subject)).toEqual(['route www.test/ping', 'upstreams www.test/api']);
    expect(await get(caddy, 'www.test', '/api/x')).toMatchObject({ body: 'blue /api/x' });
  });

  it('swaps upstreams by @id with PATCH, writing only when they differ', async () => {
    const ids = appRoutes(sitesFile(), 'shop', 'dev', host).map((r) => r.upstreamId);
    const to = (dial: string) => ids.map((id) => ({ id, dials: [dial] }));
    expect(await switchUpstreams(caddy.admin, to(green.dial))).toEqual(
      ids.map((id) => ({ id, previous: [blue.dial] })),
    );
    expect(await get(caddy, 'www.test', '/api/x')).toMatchObject({ body: 'green /api/x' });
    expect(await switchUpstreams(caddy.admin, to(green.dial))).toEqual([]);
    expect(diffCaddyConfig((await caddy.admin.get()).value, render(green.dial))).toEqual([]);
    await switchUpstreams(caddy.admin, to(blue.dial));
  });

  it("fails an invalid custom handler with Caddy's own message and keeps the old config serving", async () => {
    const bad = sitesFile();
    bad.sites['www.test']!.routes.push({ path: '/bad', custom: { handler: 'no_such_handler' } });
    const err = await convergeConfig(caddy.admin, render(blue.dial, bad)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaddyAdminError);
    expect((err as Error).message).toMatch(
      /^loading new config: .*unknown module: http\.handlers\.no_such_handler$/,
    );
    expect(await get(caddy, 'www.test', '/ping')).toMatchObject({ status: 200, body: 'pong' });
    expect(diffCaddyConfig((await caddy.admin.get()).value, desired)).toEqual([]);
  });

  it('detects a route edited by hand as drift', async () => {
    await caddy.admin.load(
      JSON.parse(JSON.stringify(desired).replace('https://new.test/landing', 'https://elsewhere.test/')),
    );
    const drift = diffCaddyConfig((await caddy.admin.get()).value, desired, 'web1');
    expect(drift).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: 'route www.test/old',
        detail: 'handle.0.headers.Location.0: "https://elsewhere.test/" -> "https://new.test/landing"',
      },
    ]);
    expect(routeId('www.test', '/old')).toBe('site:www.test:%2Fold');
    await convergeConfig(caddy.admin, desired);
  });

  it('keeps the config across a restart with --resume', async () => {
    await caddy.restart();
    expect((await caddy.admin.get()).value).toEqual(desired);
    expect(await get(caddy, 'www.test', '/ping')).toMatchObject({ status: 200, body: 'pong' });
  });
});
