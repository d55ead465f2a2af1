// The dashboard's HTTP surface over a real node:http server and a real SQLite store: sign-in, cookies,
// security headers, refusals, and the server-sent event stream resuming after Last-Event-ID.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../../src/dashboard/auth/tokens.ts';
import { createDashboard, type Dashboard } from '../../../src/dashboard/routes.ts';
import { storeData } from '../../../src/dashboard/store-data.ts';
import { openDashboardStore } from '../../../src/store/dashboard-store.ts';
import { Store } from '../../../src/store/store.ts';
import { cookiesOf, FORM, httpCall } from '../../support/http-call.ts';
import { projectPolicy } from '../../support/policy.ts';

let dir: string;
let store: Store;
let users: ReturnType<typeof openDashboardStore>;
let dashboard: Dashboard;
let server: Server;
let base: string;
const token = generateToken();

const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  httpCall(base, method, path, headers, body);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const cookieOf = cookiesOf;

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const page = await call('GET', '/signin');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const res = await call(
    'POST',
    '/signin',
    { ...FORM, origin: base, cookie: cookieOf(page).join('; ') },
    form({ _csrf: csrf, token, next: '/audit' }),
  );
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/audit');
  const cookie = cookieOf(res).find((c) => c.startsWith('slipway_session='))!;
  const home = await call('GET', '/', { cookie });
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(home.body)![1]! };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-dashboard-routes-'));
  store = new Store(join(dir, 'state.db'));
  users = openDashboardStore(join(dir, 'state.db'));
  users.users.add('alice', hashToken(token));
  dashboard = createDashboard({
    users: users.users,
    data: storeData({
      store,
      facets: users.facets,
      policy: projectPolicy({ people: { alice: { dashboard: 'alice' } } }),
      environments: () => [],
    }),
    pollMs: 20,
  });
  server = createServer((req, res) => void dashboard.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  dashboard.close();
  await new Promise((r) => server.close(r));
  users.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard routes', () => {
  it('sends the anonymous to sign in, and signs in with a token for an HttpOnly, SameSite=Strict session', async () => {
    const home = await call('GET', '/runs/1?x=1');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/signin?next=%2Fruns%2F1%3Fx%3D1');
    const page = await call('GET', '/signin');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['set-cookie']![0]).toMatch(
      /^slipway_signin=[\w-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Strict$/,
    );
    const { cookie } = await signIn();
    expect(cookie).toMatch(/^slipway_session=[\w-]{43}$/);
    const runs = await call('GET', '/', { cookie });
    expect(runs.status).toBe(200);
    expect(runs.body).toContain('<span class="login">alice</span>');
  });

  it('refuses an unknown token, a foreign next, and a sign-in form without its cookie twin', async () => {
    const page = await call('GET', '/signin');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const cookie = cookieOf(page).join('; ');
    const wrong = await call(
      'POST',
      '/signin',
      { ...FORM, origin: base, cookie },
      form({ _csrf: csrf, token: generateToken() }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Unknown token.');
    const offsite = await call(
      'POST',
      '/signin',
      { ...FORM, origin: base, cookie },
      form({ _csrf: csrf, token, next: '//evil.example/' }),
    );
    expect(offsite.headers.location).toBe('/');
    const twinless = await call('POST', '/signin', { ...FORM, origin: base }, form({ _csrf: csrf, token }));
    expect(twinless.status).toBe(403);
    expect(store.gates.auditTrail().map((a) => [a.actor, a.action, a.outcome, a.reason])).toEqual([
      ['anonymous', 'signin', 'refused', 'dashboard: unknown token'],
      ['anonymous', 'signin', 'refused', 'dashboard: bad origin or CSRF token'],
    ]);
  });

  it('refuses POSTs without Origin or Referer, other body types, and other methods', async () => {
    const { cookie, csrf } = await signIn();
    expect((await call('POST', '/signout', { ...FORM, cookie }, form({ _csrf: csrf }))).status).toBe(403);
    expect(
      (await call('POST', '/signout', { ...FORM, cookie, referer: `${base}/runs` }, form({ _csrf: csrf })))
        .status,
    ).toBe(303);
    const { cookie: c2, csrf: t2 } = await signIn();
    const json = await call(
      'POST',
      '/signout',
      { 'content-type': 'application/json', cookie: c2, origin: base },
      JSON.stringify({ _csrf: t2 }),
    );
    expect(json.status).toBe(400);
    expect((await call('PUT', '/', { cookie: c2 })).status).toBe(405);
  });

  it('audits anonymous refusals up to a bound, so strangers cannot grow the append-only log without end', async () => {
    for (let i = 0; i < 65; i++) {
      expect((await call('POST', '/runs/1/jobs/deploy/approve', { ...FORM, origin: base }, '')).status).toBe(
        403,
      );
    }
    const rows = store.gates.auditTrail();
    expect(rows).toHaveLength(60);
    expect(rows[0]).toMatchObject({
      actor: 'anonymous',
      action: 'approve',
      runId: 1,
      job: 'deploy',
      outcome: 'refused',
    });
  });

  it('streams log lines and state changes, resumes after Last-Event-ID, and ends with the run', async () => {
    const { cookie } = await signIn();
    const runId = store.runs.create({
      pipeline: 'web',
      pipelineFile: 'pipelines/web.yml',
      repoRoot: dir,
      sha: 'a'.repeat(40),
      branch: 'main',
      triggeredBy: 'dev',
      channel: 'cli',
      jobs: [{ name: 'build', needs: [], steps: [{ kind: 'run', name: 'build' }] }],
    });
    store.events.append(
      ['one', 'two', 'three'].map((text) => ({ runId, kind: 'log' as const, job: 'build', text })),
    );
    const second = store.events.after(runId, 0, 10, ['log'])[1]!.id;
    const finish = setTimeout(() => store.runs.setStatus(runId, 'succeeded'), 100);
    const stream = await call('GET', `/runs/${runId}/events?version=stale`, {
      cookie,
      'last-event-id': String(second),
    });
    clearTimeout(finish);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = stream.body.split('\n\n').filter((e) => e.startsWith('id:') || e.startsWith('event:'));
    expect(events[0]).toMatch(new RegExp(`^id: ${second + 1}\nevent: log\ndata: \\{.*"line":"three"`));
    expect(events.filter((e) => e.includes('event: log'))).toHaveLength(1);
    expect(events.some((e) => e.startsWith('event: state'))).toBe(true);
    expect(events.at(-1)).toBe('event: end\ndata: {}');
  });
});
