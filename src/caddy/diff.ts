import type { Change } from '../core/changes.ts';

/** A piece of config that carries an `@id`, with `@id` children replaced by references. */
interface Unit {
  json: string;
  value: unknown;
  /** The object as written, children included: what an added or removed unit shows. */
  whole: unknown;
  parent?: string;
}

const SETTINGS = '(settings)';

/** Live vs desired Caddy config of one host, as readable changes by `@id` (routes, upstreams, settings). */
export function diffCaddyConfig(live: unknown, desired: unknown, host?: string): Change[] {
  const before = units(live);
  const after = units(desired);
  const changes: Change[] = [];
  const gone = (id: string, side: Map<string, Unit>, other: Map<string, Unit>) => {
    // Report a new or removed site once, not once per route inside it.
    const parent = side.get(id)?.parent;
    return parent !== undefined && parent !== SETTINGS && !other.has(parent);
  };
  for (const id of [...new Set([...before.keys(), ...after.keys()])].sort(bySettingsFirst)) {
    const a = before.get(id);
    const b = after.get(id);
    const subject = describeId(id);
    if (a && b) {
      // Against an empty Caddy (null config) every setting is new: one line per leaf, not one huge line.
      const detail = jsonDiff(a.value ?? {}, b.value).join('\n');
      if (a.json !== b.json) changes.push({ host, action: 'change', subject, detail });
    } else if (b) {
      if (!gone(id, after, before))
        changes.push({ host, action: 'add', subject, detail: routesSummary(b.whole).join('\n') });
    } else if (a) {
      if (!gone(id, before, after))
        changes.push({ host, action: 'remove', subject, detail: routesSummary(a.whole).join('\n') });
    }
  }
  return changes;
}

type Json = Record<string, unknown>;
const asList = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** What a site, route or handler does, one line per route (`/api: proxy -> 127.0.0.1:8080`): plans show this, not JSON. */
export function routesSummary(unit: unknown): string[] {
  const u = (unit ?? {}) as Json;
  if (u['handler'] !== undefined) return [handlerSummary([u])];
  const handlers = asList(u['handle']);
  const sub = handlers.length === 1 && handlers[0]!['handler'] === 'subroute' && u['match'] !== undefined;
  // A site is a host match around one subroute of routes; a route matches paths (or nothing: the root).
  if (sub && asList(u['match']).some((m) => m['host'] !== undefined))
    return asList(handlers[0]!['routes']).map(
      (r) => `${routePath(r)}: ${handlerSummary(asList(r['handle']))}`,
    );
  return [`${routePath(u)}: ${handlerSummary(handlers)}`];
}

function routePath(route: Json): string {
  const paths = asList(route['match']).flatMap((m) =>
    Array.isArray(m['path']) ? (m['path'] as string[]) : [],
  );
  return paths[0] ?? '/';
}

function handlerSummary(handlers: readonly Json[]): string {
  const parts = handlers.flatMap((h): string[] => {
    switch (h['handler']) {
      case 'reverse_proxy': {
        const dials = asList(h['upstreams']).map((x) => String(x['dial']));
        return [
          dials.length ? `proxy -> ${dials.join(', ')}` : 'proxy (no upstream yet: 503 until a deploy)',
        ];
      }
      case 'file_server':
        return [`files from ${String(h['root'])}`];
      case 'static_response': {
        const to = (h['headers'] as { Location?: string[] } | undefined)?.Location?.[0];
        return [
          to ? `redirect ${String(h['status_code'])} -> ${to}` : `respond ${String(h['status_code'] ?? 200)}`,
        ];
      }
      case 'subroute':
        return [handlerSummary(asList(h['routes']).flatMap((r) => asList(r['handle'])))];
      case 'rewrite':
        return []; // path plumbing of static routes, not what the route does
      default:
        return [`handler ${String(h['handler'])}`];
    }
  });
  return [...new Set(parts)].join(', ') || 'nothing';
}

/** A readable name for an `@id` Slipway renders (`site:<domain>:<path>`, `upstream:<domain>:<path>`). */
export function describeId(id: string): string {
  if (id === SETTINGS) return 'caddy settings (admin, servers, TLS)';
  const m = /^(site|upstream):([^:]+)(?::(.*))?$/.exec(id);
  if (!m) return `object @id ${id}`;
  const where = m[3] === undefined ? m[2]! : `${m[2]}${safeDecode(m[3])}`;
  if (m[1] === 'upstream') return `upstreams ${where}`;
  return m[3] === undefined ? `site ${where}` : `route ${where}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function bySettingsFirst(a: string, b: string): number {
  if (a === SETTINGS) return -1;
  if (b === SETTINGS) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Splits a config into units keyed by `@id`; whatever carries no id is the settings unit. */
function units(config: unknown): Map<string, Unit> {
  const out = new Map<string, Unit>();
  const walk = (v: unknown, owner: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, owner));
    if (v === null || typeof v !== 'object') return v;
    const obj = v as Record<string, unknown>;
    const id = typeof obj['@id'] === 'string' ? (obj['@id'] as string) : undefined;
    const inner = id ?? owner;
    const copy: Record<string, unknown> = {};
    for (const k of Object.keys(obj).sort()) copy[k] = walk(obj[k], inner);
    if (id === undefined) return copy;
    out.set(id, { json: JSON.stringify(copy), value: copy, whole: obj, parent: owner });
    return { '@id': id };
  };
  const rest = walk(config ?? null, SETTINGS);
  out.set(SETTINGS, { json: JSON.stringify(rest), value: rest, whole: config ?? null });
  return out;
}

/** Lines `path: old -> new` for every leaf that differs, paths dotted (`handle.0.upstreams.0.dial`). */
export function jsonDiff(a: unknown, b: unknown, path = ''): string[] {
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  // An object that appears or vanishes as a whole is listed leaf by leaf, like any other.
  const empty = (v: unknown) => (Array.isArray(v) ? [] : {});
  if (a === undefined && isObj(b)) return jsonDiff(empty(b), b, path);
  if (b === undefined && isObj(a)) return jsonDiff(a, empty(a), path);
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
    if (!Array.isArray(a)) keys.sort();
    return keys.flatMap((k) => jsonDiff(ao[k], bo[k], path ? `${path}.${k}` : k));
  }
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  if (sa === sb) return [];
  const show = (s: string | undefined) => (s === undefined ? '(none)' : s);
  return [`${path || '(root)'}: ${show(sa)} -> ${show(sb)}`];
}
