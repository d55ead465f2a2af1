import { describe, expect, it } from 'vitest';
import { describeId, diffCaddyConfig, jsonDiff } from '../../../src/caddy/diff.ts';
import { renderCaddyConfig } from '../../../src/caddy/render.ts';
import { sites } from '../../../src/config/schema/sites.ts';
import { exampleSites } from './fixtures.ts';

const web = { name: 'web1', groups: ['web'] };
const render = (s = exampleSites(), upstreams = new Map([['shop/api', ['127.0.0.1:20001']]])) =>
  renderCaddyConfig({ sites: s, environment: 'dev', host: web, upstreams });
const summary = (live: unknown, desired: unknown) =>
  diffCaddyConfig(live, desired, 'web1').map((c) => `${c.action} ${c.subject}`);

describe('diffCaddyConfig', () => {
  it('finds nothing between a config and its own JSON round trip', () => {
    expect(diffCaddyConfig(JSON.parse(JSON.stringify(render())), render())).toEqual([]);
  });

  it('reports a new site once, not once per route inside it', () => {
    const s = exampleSites();
    const live = render(s);
    s.sites['new.example.com'] = {
      hosts: 'all',
      routes: [{ path: '/', proxy: { upstreams: ['127.0.0.1:1'] } }],
    };
    expect(summary(live, render(s))).toEqual([
      'change caddy settings (admin, servers, TLS)',
      'add site new.example.com',
    ]);
    // What the site does, one line per route, not its Caddy JSON.
    const added = diffCaddyConfig(live, render(s)).find((c) => c.action === 'add')!;
    expect(added.detail).toBe('/: proxy -> 127.0.0.1:1');
  });

  it('reports added, removed and changed routes of a site by @id', () => {
    const s = exampleSites();
    const live = render(s);
    const routes = s.sites['www.example.com']!.routes;
    s.sites['www.example.com']!.routes = [
      ...routes.filter((r) => r.path !== '/docs' && r.path !== '/old'),
      { path: '/old', redirect: { to: 'https://other.example.com/', status: 301 } },
      { path: '/blog', redirect: { to: 'https://blog.example.com/', status: 302 } },
    ];
    const changes = diffCaddyConfig(live, render(s), 'web1');
    expect(changes.map((c) => `${c.action} ${c.subject}`)).toEqual([
      'change site www.example.com',
      'add route www.example.com/blog',
      'remove route www.example.com/docs',
      'change route www.example.com/old',
    ]);
    expect(changes[3]!.detail).toBe(
      'handle.0.headers.Location.0: "https://new.example.com/" -> "https://other.example.com/"',
    );
    expect(changes.every((c) => c.host === 'web1')).toBe(true);
  });

  it('reports an upstream swap as a change of the proxy handler only', () => {
    const changes = diffCaddyConfig(
      render(),
      render(exampleSites(), new Map([['shop/api', ['127.0.0.1:20002']]])),
    );
    expect(changes).toEqual([
      {
        host: undefined,
        action: 'change',
        subject: 'upstreams www.example.com/api',
        detail: 'upstreams.0.dial: "127.0.0.1:20001" -> "127.0.0.1:20002"',
      },
    ]);
  });

  it('shows the settings against an empty Caddy one leaf per line, and each new site by what its routes do', () => {
    const [settings, status, www] = diffCaddyConfig(null, render());
    expect(settings!.detail!.split('\n')).toContain('admin.listen: (none) -> "unix//run/caddy/admin.sock"');
    expect(settings!.detail).not.toMatch(/^\s*[{}\]]/m); // no pretty-printed JSON
    expect(status!.detail).toBe('/: proxy -> 127.0.0.1:9000');
    expect(www!.detail!.split('\n')).toEqual([
      '/docs: files from /srv/docs',
      '/ping: respond 200',
      '/api: proxy -> 127.0.0.1:20001',
      '/old: redirect 301 -> https://new.example.com/',
      '/: files from /srv/www',
    ]);
    // The whole plan of a host stays short: no Caddy JSON.
    const lines = diffCaddyConfig(null, render()).flatMap((c) => c.detail?.split('\n') ?? []);
    expect(lines.length).toBeLessThan(40);
  });

  it('reports everything as new against an empty Caddy (null config)', () => {
    expect(summary(null, render())).toEqual([
      'change caddy settings (admin, servers, TLS)',
      'add site status.example.com',
      'add site www.example.com',
    ]);
  });

  it('reports a TLS email change as a settings change with its path', () => {
    const s = sites.parse({ ...exampleSites(), tls: { email: 'new@example.com' } });
    const [change] = diffCaddyConfig(render(), render(s));
    expect(change!.detail).toBe(
      'apps.tls.automation.policies.0.issuers.0.email: "ops@example.com" -> "new@example.com"',
    );
  });
});

describe('describeId and jsonDiff', () => {
  it('names ids readably and falls back for ids Slipway did not render', () => {
    expect(describeId('site:a.example.com:%2Fapi%2Fv1')).toBe('route a.example.com/api/v1');
    expect(describeId('upstream:a.example.com:%2F')).toBe('upstreams a.example.com/');
    expect(describeId('site:a.example.com')).toBe('site a.example.com');
    expect(describeId('handmade')).toBe('object @id handmade');
  });

  it('lists leaves that appear or vanish', () => {
    expect(jsonDiff({ a: [1, 2] }, { a: [1], b: true })).toEqual(['a.1: 2 -> (none)', 'b: (none) -> true']);
  });
});
