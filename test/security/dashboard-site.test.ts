// The dashboard inside a real `slipway serve` on loopback, with a real store: redirects after sign-in stay on
// the site, and the Host and Origin it trusts come from configuration, never from the request.
import { afterEach, describe, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../src/dashboard/auth/tokens.ts';
import { openDashboardStore } from '../../src/store/dashboard-store.ts';
import { cookiesOf, FORM, httpCall, type Reply } from '../support/http-call.ts';
import { type ServeFixture, startServeFixture } from '../support/serve-fixture.ts';

let fx: ServeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const call = httpCall;
const cookies = (r: Reply) => cookiesOf(r).join('; ');

/** A serve with the dashboard and user alice; returns her token. */
async function dashboardServe(publicUrl?: string): Promise<{ fx: ServeFixture; token: string }> {
  const f = await startServeFixture({
    dashboard: { environments: [], ...(publicUrl ? { publicUrl } : {}) },
  });
  const token = generateToken();
  const own = openDashboardStore(`${f.dir}/state.db`);
  own.users.add('alice', hashToken(token));
  own.close();
  return { fx: f, token };
}

/** Signs in with `next` from the loopback origin the server listens on; returns the answer. */
async function signIn(base: string, token: string, next: string): Promise<Reply> {
  const host = new URL(base).host;
  const page = await call(base, 'GET', '/signin', { host });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const form = new URLSearchParams({ _csrf: csrf, token, next }).toString();
  return call(base, 'POST', '/signin', { ...FORM, host, origin: base, cookie: cookies(page) }, form);
}

describe('dashboard: redirects, Host and Origin', () => {
  it('keeps the sign-in redirect on the site: other origins go to /, control characters get 400', async () => {
    const s = await dashboardServe();
    fx = s.fx;
    const base = fx.server.url;
    expect((await signIn(base, s.token, '/runs/1?x=1#job-deploy')).headers.location).toBe(
      '/runs/1?x=1#job-deploy',
    );
    for (const offsite of ['//evil.example/', '/\\evil.example', 'https://evil.example/', '/%5C/x'])
      expect((await signIn(base, s.token, offsite)).headers.location).toMatch(/^\/(?!\/|\\)/);
    // The attack as reproduced: a tab (which URL parsers drop) made `/\t/evil.example` into `//evil.example`.
    const tab = await signIn(base, s.token, '/\t/evil.example');
    expect(tab.status).toBe(400);
    expect(tab.headers.location).toBeUndefined();
    // A newline once made writing the Location header throw: a 500.
    const newline = await signIn(base, s.token, '/runs\r\nSet-Cookie: x=1');
    expect(newline.status).toBe(400);
    const viaGet = await call(base, 'GET', '/signin?next=%2F%09%2Fevil.example', {
      host: new URL(base).host,
    });
    expect(viaGet.status).toBe(400);
  });

  it('answers only loopback Host names without --public-url, and never takes the expected Origin from Host', async () => {
    const s = await dashboardServe();
    fx = s.fx;
    const base = fx.server.url;
    const port = new URL(base).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
      expect((await call(base, 'GET', '/signin', { host })).status).toBe(200);
    // DNS rebinding: evil.example resolved to 127.0.0.1; the browser sends its own name as Host and Origin.
    const rebound = await call(base, 'GET', '/signin', { host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain('--public-url');
    const page = await call(base, 'GET', '/signin', { host: `127.0.0.1:${port}` });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const form = new URLSearchParams({ _csrf: csrf, token: s.token }).toString();
    const post = (host: string, origin: string) =>
      call(base, 'POST', '/signin', { ...FORM, host, origin, cookie: cookies(page) }, form);
    expect((await post(`evil.example:${port}`, `http://evil.example:${port}`)).status).toBe(421);
    // A loopback Host with a foreign Origin: the Origin is checked against loopback on the listening port.
    expect((await post(`127.0.0.1:${port}`, `http://evil.example:${port}`)).status).toBe(403);
    expect((await post(`127.0.0.1:${port}`, 'http://127.0.0.1:1')).status).toBe(403);
    expect((await post(`127.0.0.1:${port}`, `http://localhost:${port}`)).status).toBe(303);
    // Webhooks are not the dashboard's: their HMAC authenticates them whatever the Host.
    expect((await call(base, 'GET', '/healthz', { host: 'evil.example' })).status).toBe(200);
  });

  it('with --public-url, answers only its host and takes only its origin', async () => {
    const s = await dashboardServe('https://ci.example.com/');
    fx = s.fx;
    const base = fx.server.url;
    expect((await call(base, 'GET', '/signin', { host: 'ci.example.com' })).status).toBe(200);
    expect((await call(base, 'GET', '/signin', { host: new URL(base).host })).status).toBe(421);
    expect((await call(base, 'GET', '/signin', { host: 'ci.example.com.evil.example' })).status).toBe(421);
    const page = await call(base, 'GET', '/signin', { host: 'ci.example.com' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const form = new URLSearchParams({ _csrf: csrf, token: s.token }).toString();
    const post = (origin: string) =>
      call(base, 'POST', '/signin', { ...FORM, host: 'ci.example.com', origin, cookie: cookies(page) }, form);
    expect((await post('http://ci.example.com')).status).toBe(403);
    expect((await post('https://ci.example.com')).status).toBe(303);
  });
});
