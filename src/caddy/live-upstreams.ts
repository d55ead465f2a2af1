import { type AppUpstreams, type RenderInput, servesSite, upstreamId, upstreamKey } from './render.ts';

/**
 * The upstreams each app's proxy handler has in the live config of a host. Deploys own app upstreams
 * (they switch them with PATCH); rendering with these keeps an infra run from undoing a deploy's switch.
 */
export function liveAppUpstreams(
  live: unknown,
  input: Pick<RenderInput, 'sites' | 'environment' | 'host'>,
): AppUpstreams {
  const handlers = new Map<string, string[]>();
  collectProxies(live, handlers);
  const out = new Map<string, string[]>();
  for (const domain of Object.keys(input.sites.sites).sort()) {
    const site = input.sites.sites[domain]!;
    if (!servesSite(site, input.environment, input.host)) continue;
    for (const r of site.routes) {
      if (!('proxy' in r) || !('app' in r.proxy)) continue;
      const key = upstreamKey(r.proxy.app, r.proxy.service);
      const dials = handlers.get(upstreamId(domain, r.path));
      if (dials && !out.has(key)) out.set(key, dials);
    }
  }
  return out;
}

function collectProxies(v: unknown, out: Map<string, string[]>): void {
  if (Array.isArray(v)) {
    for (const x of v) collectProxies(x, out);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const obj = v as Record<string, unknown>;
  if (typeof obj['@id'] === 'string' && obj.handler === 'reverse_proxy' && Array.isArray(obj.upstreams)) {
    const dials = obj.upstreams.flatMap((u) =>
      typeof (u as { dial?: unknown })?.dial === 'string' ? [(u as { dial: string }).dial] : [],
    );
    out.set(obj['@id'], dials);
  }
  for (const x of Object.values(obj)) collectProxies(x, out);
}
