import { createServer, type Server } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchHostUpstreams } from '../../../src/caddy/host-upstreams.ts';
import { renderCaddyConfig, upstreamId } from '../../../src/caddy/render.ts';
import { sites as sitesSchema } from '../../../src/config/schema/sites.ts';
import type { InventoryHost } from '../../../src/config/types.ts';
import { sshTargetOf } from '../../../src/remote/from-inventory.ts';
import { SshTransport } from '../../../src/remote/ssh-transport.ts';
import { type LocalCaddy, startLocalCaddy } from '../../support/caddy.ts';
import { startThrowawaySshd, type ThrowawaySshd } from '../../support/throwaway-sshd.ts';

// A deploy's upstream switch, through a real SSH-forwarded admin socket to a real Caddy.
describe('switchHostUpstreams', () => {
  let sshd: ThrowawaySshd;
  let caddy: LocalCaddy;
  let transport: SshTransport;
  let host: InventoryHost;
  const servers: Server[] = [];
  const sites = sitesSchema.parse({
    tls: { issuer: 'internal' },
    sites: {
      'a.test': { routes: [{ proxy: { app: 'shop', health_path: '/' } }] },
      'b.test': { routes: [{ path: '/shop', proxy: { app: 'shop', health_path: '/' } }] },
    },
  });
  const backend = async (name: string) => {
    const s = createServer((_req, res) => res.end(name));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    return `127.0.0.1:${(s.address() as { port: number }).port}`;
  };
  const body = async (domain: string, path: string) =>
    (await request(`http://127.0.0.1:${caddy.ports.http}${path}`, { headers: { host: domain } })).body.text();

  beforeAll(async () => {
    sshd = await startThrowawaySshd();
    caddy = await startLocalCaddy();
    const base = sshd.inventoryHost('web1');
    host = { ...base, vars: { ...base.vars, caddy_admin_socket: caddy.socket } };
    transport = new SshTransport(sshTargetOf(host, process.cwd()));
  });
  afterAll(async () => {
    await transport?.close();
    await caddy?.stop();
    await sshd?.close();
    for (const s of servers) s.close();
  });

  it('switches every handler of the app, then writes nothing when already switched', async () => {
    const blue = await backend('blue');
    const green = await backend('green');
    const environment = 'dev';
    const target = { name: host.name, groups: host.groups };
    await caddy.admin.load(
      renderCaddyConfig({
        sites,
        environment,
        host: target,
        upstreams: new Map([['shop', [blue]]]),
        adminSocket: caddy.socket,
        ports: caddy.ports,
      }),
    );
    expect(await body('b.test', '/shop/x')).toBe('blue');
    const input = { sites, environment, host, app: 'shop', dials: [green] };
    expect(await switchHostUpstreams(transport, input)).toEqual([
      upstreamId('a.test', '/'),
      upstreamId('b.test', '/shop'),
    ]);
    expect(await body('a.test', '/')).toBe('green');
    expect(await body('b.test', '/shop/x')).toBe('green');
    expect(await switchHostUpstreams(transport, input)).toEqual([]);
    expect(await switchHostUpstreams(transport, { ...input, app: 'other' })).toEqual([]);
  });

  it('says to run the caddy step when Caddy does not answer', async () => {
    const gone = { ...host, vars: { ...host.vars, caddy_admin_socket: `${caddy.dir}/none.sock` } };
    await expect(
      switchHostUpstreams(transport, { sites, environment: 'dev', host: gone, app: 'shop', dials: [] }),
    ).rejects.toThrow(/web1: Caddy does not answer .*: run the caddy step \(infra pipeline\) first/);
  });
});
