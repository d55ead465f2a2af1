import type { Route, Sites } from '../config/schema/sites.ts';
import { syncPaths } from '../core/sync-layout.ts';

/** A Caddy JSON object (what the admin API reads and writes). */
export type CaddyJson = Record<string, unknown>;

/** Where the admin API listens on every host: a unix socket only, never TCP. */
export const ADMIN_SOCKET = '/run/caddy/admin.sock';

/** Name of the one HTTP server Slipway renders. */
export const SERVER_NAME = 'slipway';

/** Key of an app's upstream list in an {@link AppUpstreams} map: `app` or `app/service`. */
export function upstreamKey(app: string, service?: string): string {
  return service ? `${app}/${service}` : app;
}

/** Current upstreams (`127.0.0.1:PORT`) of each deployed app, keyed by {@link upstreamKey}. */
export type AppUpstreams = ReadonlyMap<string, readonly string[]>;

/** The host a config is rendered for. */
export interface RenderHost {
  name: string;
  groups: readonly string[];
}

/** Everything the renderer needs; the same input always renders the same JSON. */
export interface RenderInput {
  sites: Sites;
  environment: string;
  host: RenderHost;
  upstreams: AppUpstreams;
  adminSocket?: string;
  /** Ports the sites listen on; 80 and 443 unless a host says otherwise (inventory vars). */
  ports?: { http: number; https: number };
}

// Long enough to ride over a container restart or an upstream swap without a 502.
const LOAD_BALANCING = { try_duration: '5s', try_interval: '250ms' };
const HEALTH_INTERVAL = '5s';
const HEALTH_TIMEOUT = '2s';

/** `@id` of the route matching a domain. */
export function siteId(domain: string): string {
  return `site:${domain}`;
}

// Paths are percent-encoded because Caddy's /id/<id> endpoint cuts the id at the first '/'.
/** `@id` of one path route of a domain. */
export function routeId(domain: string, path: string): string {
  return `site:${domain}:${encodeURIComponent(path)}`;
}

/** `@id` of the reverse_proxy handler of a proxy route, addressable as `/id/<id>/upstreams`. */
export function upstreamId(domain: string, path: string): string {
  return `upstream:${domain}:${encodeURIComponent(path)}`;
}

/** Whether a site of sites.yml is served on this host in this environment. */
export function servesSite(site: Sites['sites'][string], environment: string, host: RenderHost): boolean {
  if (site.environments && !site.environments.includes(environment)) return false;
  return site.hosts === 'all' || site.hosts === host.name || host.groups.includes(site.hosts);
}

/** The admin block every rendered config carries, so a config load never moves the API off its socket. */
export function adminBlock(socket: string = ADMIN_SOCKET): CaddyJson {
  // Over a unix socket Caddy 2.6 checks the Host header against `origins`: "" is what Slipway sends,
  // "localhost" is what `curl --unix-socket` sends for an operator on the host.
  return { listen: `unix/${socket}`, origins: ['', 'localhost'], config: { persist: true } };
}

/** Renders the full Caddy config of one host: deterministic, `@id` on every site route and proxy handler. */
export function renderCaddyConfig(input: RenderInput): CaddyJson {
  const ports = input.ports ?? { http: 80, https: 443 };
  const domains = Object.keys(input.sites.sites)
    .filter((d) => servesSite(input.sites.sites[d]!, input.environment, input.host))
    .sort();
  const config: CaddyJson = { admin: adminBlock(input.adminSocket) };
  if (domains.length === 0) return config;

  const internal = input.sites.tls.issuer === 'internal';
  const server: CaddyJson = {
    // With the internal issuer (sandbox) no client trusts the certificates, so sites also answer on
    // plain HTTP: Caddy never puts TLS on the listener of its http_port.
    listen: internal ? [`:${ports.http}`, `:${ports.https}`] : [`:${ports.https}`],
    routes: domains.map((d) => renderSite(d, input.sites.sites[d]!.routes, input.upstreams)),
    errors: {
      // Status and reason only: Caddy's error text (dial addresses) must not reach the public.
      routes: [
        {
          handle: [
            {
              handler: 'static_response',
              status_code: '{http.error.status_code}',
              body: '{http.error.status_code} {http.error.status_text}\n',
            },
          ],
        },
      ],
    },
  };
  if (internal) server.automatic_https = { disable_redirects: true };

  const issuer: CaddyJson = internal
    ? { module: 'internal' }
    : { module: 'acme', ...(input.sites.tls.email ? { email: input.sites.tls.email } : {}) };
  const apps: CaddyJson = {
    http: { http_port: ports.http, https_port: ports.https, servers: { [SERVER_NAME]: server } },
    tls: { automation: { policies: [{ subjects: domains, issuers: [issuer] }] } },
  };
  if (internal) apps.pki = { certificate_authorities: { local: { install_trust: false } } };
  config.apps = apps;
  return config;
}

function renderSite(domain: string, routes: readonly Route[], upstreams: AppUpstreams): CaddyJson {
  const seen = new Map<string, string>();
  for (const r of routes) {
    const prefix = pathPrefix(r.path);
    const other = seen.get(prefix);
    if (other !== undefined) {
      const paths = other === r.path ? `path ${r.path}` : `paths ${other} and ${r.path}`;
      throw new Error(`sites.yml: ${domain} has two routes for ${paths}`);
    }
    seen.set(prefix, r.path);
  }
  // Caddy runs the first matching route: the most specific path goes first.
  const key = (r: Route) => pathPrefix(r.path);
  const ordered = [...routes].sort((a, b) => key(b).length - key(a).length || (key(a) < key(b) ? -1 : 1));
  return {
    '@id': siteId(domain),
    match: [{ host: [domain] }],
    handle: [{ handler: 'subroute', routes: ordered.map((r) => renderRoute(domain, r, upstreams)) }],
    terminal: true,
  };
}

/** A route's path as a prefix without trailing `/` or `/*` (`/docs/*` and `/docs/` mean `/docs`); `''` for the root. */
export function pathPrefix(path: string): string {
  return path.replace(/\/\*$/, '').replace(/\/+$/, '');
}

function pathMatch(path: string): CaddyJson[] | undefined {
  const base = pathPrefix(path);
  if (base === '') return undefined;
  return [{ path: [base, `${base}/*`] }];
}

function renderRoute(domain: string, route: Route, upstreams: AppUpstreams): CaddyJson {
  const match = pathMatch(route.path);
  return {
    '@id': routeId(domain, route.path),
    ...(match ? { match } : {}),
    handle: renderHandlers(domain, route, upstreams),
    terminal: true,
  };
}

function renderHandlers(domain: string, route: Route, upstreams: AppUpstreams): CaddyJson[] {
  if ('static' in route) {
    // A sync step's link is followed by Caddy on every request: its switch needs no config change.
    const root = 'sync' in route.static ? syncPaths(route.static.sync).currentFiles : route.static.root;
    return renderStatic(route.path, root, route.static.spa);
  }
  if ('redirect' in route) {
    return [
      {
        handler: 'static_response',
        status_code: route.redirect.status,
        headers: { Location: [route.redirect.to] },
      },
    ];
  }
  if ('custom' in route) return [route.custom];
  return [renderProxy(domain, route, upstreams)];
}

function renderStatic(path: string, root: string, spa: boolean): CaddyJson[] {
  // Files under `root` answer below `path`: /docs/a.html is root/a.html.
  const strip: CaddyJson[] =
    pathPrefix(path) === '' ? [] : [{ handler: 'rewrite', strip_path_prefix: pathPrefix(path) }];
  const files = { handler: 'file_server', root };
  if (!spa) return [...strip, files];
  // try_files {path} /index.html: deep links of a single-page app get the app's index.html.
  const fallback = {
    match: [{ file: { root, try_files: ['{http.request.uri.path}', '/index.html'] } }],
    handle: [{ handler: 'rewrite', uri: '{http.matchers.file.relative}' }],
  };
  return [...strip, { handler: 'subroute', routes: [fallback, { handle: [files] }] }];
}

function renderProxy(
  domain: string,
  route: Extract<Route, { proxy: unknown }>,
  upstreams: AppUpstreams,
): CaddyJson {
  const p = route.proxy;
  // An app not deployed yet keeps its handler (and id) with no upstreams: it answers 503 until the
  // deploy's upstream switch fills it in.
  const dials = 'app' in p ? (upstreams.get(upstreamKey(p.app, p.service)) ?? []) : p.upstreams;
  const handler: CaddyJson = {
    '@id': upstreamId(domain, route.path),
    handler: 'reverse_proxy',
    upstreams: dials.map((dial) => ({ dial })),
    load_balancing: LOAD_BALANCING,
  };
  if (p.health_path) {
    handler.health_checks = {
      active: { uri: p.health_path, interval: HEALTH_INTERVAL, timeout: HEALTH_TIMEOUT },
    };
  }
  return handler;
}
