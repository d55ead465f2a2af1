import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Router, sendText } from '../../../src/server/router.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(router: Router): Promise<string> {
  server = createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Router', () => {
  it('routes by method and path, answers 405 with Allow, 404, and hands the rest to the fallback', async () => {
    const router = new Router()
      .add('GET', '/a', (_req, res, url) => sendText(res, 200, `a ${url.searchParams.get('q')}`))
      .add('POST', '/a', (_req, res) => sendText(res, 201, 'posted'));
    const url = await listen(router);
    expect(await (await fetch(`${url}/a?q=1`)).text()).toBe('a 1');
    expect((await fetch(`${url}/a`, { method: 'POST' })).status).toBe(201);
    expect((await fetch(`${url}/a`, { method: 'HEAD' })).status).toBe(200);
    const put = await fetch(`${url}/a`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect((await fetch(`${url}/b`)).status).toBe(404);
    router.fallback((_req, res) => sendText(res, 200, 'dashboard'));
    expect(await (await fetch(`${url}/b`)).text()).toBe('dashboard');
  });

  it('refuses a route taken twice', () => {
    const router = new Router().add('GET', '/x', () => undefined);
    expect(() => router.add('GET', '/x', () => undefined)).toThrow(/already taken/);
  });
});
