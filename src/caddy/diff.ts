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
      // Against an empty Caddy (null config) a one-line leaf diff would be the whole config: show it as JSON.
      const detail =
        a.value === null ? JSON.stringify(b.value, null, 2) : jsonDiff(a.value, b.value).join('\n');
      if (a.json !== b.json) changes.push({ host, action: 'change', subject, detail });
    } else if (b) {
      if (!gone(id, after, before))
        changes.push({ host, action: 'add', subject, detail: JSON.stringify(b.whole, null, 2) });
    } else if (a) {
      if (!gone(id, before, after))
        changes.push({ host, action: 'remove', subject, detail: JSON.stringify(a.whole, null, 2) });
    }
  }
  return changes;
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
