import { type RenderHost, servesSite, upstreamId } from '../caddy/render.ts';
import type { Sites } from '../config/schema/sites.ts';

/** A route of infra/sites.yml that proxies to an app, as one host in one environment serves it. */
export interface AppRoute {
  domain: string;
  path: string;
  /** The compose service it proxies to; undefined means the app's first service with a port. */
  service?: string;
  /** `@id` of the route's reverse_proxy handler in the host's Caddy config. */
  upstreamId: string;
  url: string;
}

/** The routes of `app` that `host` serves in `environment`, in domain then path order. */
export function appRoutes(
  sites: Sites | undefined,
  app: string,
  environment: string,
  host: RenderHost,
): AppRoute[] {
  if (!sites) return [];
  // With the internal issuer (sandbox) clients reach sites over plain HTTP; with ACME, over HTTPS.
  const scheme = sites.tls.issuer === 'internal' ? 'http' : 'https';
  const out: AppRoute[] = [];
  for (const domain of Object.keys(sites.sites).sort()) {
    const site = sites.sites[domain]!;
    if (!servesSite(site, environment, host)) continue;
    for (const route of site.routes) {
      if (!('proxy' in route) || !('app' in route.proxy) || route.proxy.app !== app) continue;
      out.push({
        domain,
        path: route.path,
        ...(route.proxy.service ? { service: route.proxy.service } : {}),
        upstreamId: upstreamId(domain, route.path),
        url: `${scheme}://${domain}${route.path === '/' ? '/' : route.path}`,
      });
    }
  }
  return out.sort((a, b) =>
    a.domain === b.domain ? a.path.localeCompare(b.path) : a.domain.localeCompare(b.domain),
  );
}
