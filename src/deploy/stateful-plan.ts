// What a release changes in an app's stateful services and volumes, decided from their definitions
// alone (pure): a stateful service changes only when its own definition does, and then the plan says
// how, on a line of its own, since the service is down while it restarts.
import { createHash } from 'node:crypto';
import { isMap, isScalar, parseDocument } from 'yaml';
import { backupCommand, type StatefulMark } from '../config/stateful-services.ts';
import type { Change } from '../core/changes.ts';
import type { PinnedCompose } from './compose-file.ts';

/** One stateful service as defined for a host: its image and a hash per part of its definition. */
export interface StatefulDefinition {
  image: string;
  /** sha256 of the whole definition, with the values of the variables it takes. */
  hash: string;
  /** sha256 per part: image, environment, command, volumes, settings (everything else). */
  parts: Record<string, string>;
}

/** The marker of an app's stateful side on a host: what runs in its stable project, which volumes exist. */
export interface StatefulState {
  services: Record<string, StatefulDefinition>;
  /** Docker names of the app's named volumes. */
  volumes: string[];
}

const PART_OF: Record<string, string> = {
  image: 'image',
  environment: 'environment',
  env_file: 'environment',
  command: 'command',
  entrypoint: 'command',
  volumes: 'volumes',
};
const PARTS = ['image', 'environment', 'command', 'volumes', 'settings'] as const;
const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// The text with the value of each variable it names (hashed: a secret's value is never kept).
function withValues(text: string, vars: Readonly<Record<string, string>>): string {
  const names = [
    ...new Set([...text.replace(/\$\$/g, '').matchAll(VARIABLE)].map((m) => m[1] ?? m[2]!)),
  ].sort();
  return JSON.stringify([text, names.map((n) => [n, vars[n] === undefined ? null : sha256(vars[n])])]);
}

/** `text` with `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `$NAME` replaced as compose would. */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced?: string, op?: string, fallback?: string, bare?: string) => {
      if (all === '$$') return '$';
      const value = vars[braced ?? bare!];
      if (op === ':-' && !value) return fallback ?? '';
      if (op === '-' && value === undefined) return fallback ?? '';
      return value ?? '';
    },
  );
}

/** The definition of a stateful service from its pinned YAML and the release's variables. */
export function statefulDefinition(yaml: string, vars: Readonly<Record<string, string>>): StatefulDefinition {
  const svc = parseDocument(yaml).contents;
  const texts: Record<string, string[]> = {};
  if (isMap(svc)) {
    for (const item of svc.items) {
      const key = isScalar(item.key) ? String(item.key.value) : '';
      const part = PART_OF[key] ?? 'settings';
      texts[part] = [...(texts[part] ?? []), `${key}: ${JSON.stringify(item.value)}`];
    }
  }
  const parts: Record<string, string> = {};
  for (const p of PARTS) parts[p] = sha256(withValues((texts[p] ?? []).join('\n'), vars));
  const image = isMap(svc) ? interpolate(String(svc.get('image') ?? ''), vars) : '';
  return { image, hash: sha256(withValues(yaml, vars)), parts };
}

/** Parses the stateful marker read from a host; undefined when the text is not one. */
export function parseStatefulState(text: string): StatefulState | undefined {
  try {
    const s = JSON.parse(text) as Partial<StatefulState>;
    if (typeof s.services !== 'object' || s.services === null || !Array.isArray(s.volumes)) return undefined;
    return { services: s.services, volumes: s.volumes };
  } catch {
    return undefined;
  }
}

// `postgres:15 -> postgres:16`, or `15 -> 16` when only the tag (or digest) differs.
function imageChange(from: string, to: string): string {
  const split = (ref: string) => {
    const at = ref.search(/[@]|:(?=[^/:]*$)/);
    return at < 0 ? [ref, 'latest'] : [ref.slice(0, at), ref.slice(at + 1)];
  };
  const [fromRepo, fromTag] = split(from);
  const [toRepo, toTag] = split(to);
  return fromRepo === toRepo ? `image ${fromTag} -> ${toTag}` : `image ${from} -> ${to}`;
}

/** The words for how a stateful service's definition changes, e.g. `image 15 -> 16, environment`. */
export function definitionChange(from: StatefulDefinition, to: StatefulDefinition): string {
  const words: string[] = [];
  if (from.image !== to.image) words.push(imageChange(from.image, to.image));
  for (const p of PARTS) if (p !== 'image' && from.parts[p] !== to.parts[p]) words.push(p);
  return words.length > 0 ? words.join(', ') : 'definition';
}

/** The desired stateful side of an app on one host, and the backup commands of its services. */
export interface StatefulWanted {
  app: string;
  services: Record<string, StatefulDefinition>;
  volumes: string[];
  /** Services that have a backup command. */
  backedUp: ReadonlySet<string>;
}

/** What an app's stateful side should be on a host, from its pinned compose file and the release's variables. */
export function statefulWanted(
  app: string,
  pinned: Pick<PinnedCompose, 'stateful' | 'volumes'>,
  vars: Readonly<Record<string, string>>,
  marks: Readonly<Record<string, StatefulMark>>,
): StatefulWanted {
  const services: Record<string, StatefulDefinition> = {};
  for (const [name, yaml] of Object.entries(pinned.stateful?.definitions ?? {}))
    services[name] = statefulDefinition(yaml, vars);
  const backedUp = new Set(Object.keys(services).filter((n) => backupCommand(marks[n]) !== undefined));
  return { app, services, volumes: pinned.volumes.map((v) => v.name), backedUp };
}

/** The changes to an app's stateful services and volumes on a host, each service on its own line. */
export function statefulChanges(
  host: string,
  want: StatefulWanted,
  current: StatefulState | undefined,
): Change[] {
  const out: Change[] = [];
  const subject = (svc: string) => `app ${want.app} stateful service ${svc}`;
  const backup = (svc: string) => (want.backedUp.has(svc) ? '; backup first' : '');
  for (const [svc, def] of Object.entries(want.services)) {
    const live = current?.services[svc];
    if (!live) {
      out.push({
        host,
        action: 'add',
        subject: subject(svc),
        detail: `${svc}: start (runs once on this host)`,
      });
    } else if (live.hash !== def.hash) {
      const detail = `${svc}: ${definitionChange(live, def)}, restart (down while it restarts)${backup(svc)}`;
      out.push({ host, action: 'change', subject: subject(svc), detail });
    }
  }
  for (const svc of Object.keys(current?.services ?? {})) {
    if (want.services[svc]) continue;
    out.push({
      host,
      action: 'remove',
      subject: subject(svc),
      detail: `${svc}: no longer in the compose file: stopped after the release goes live; its volumes are kept`,
    });
  }
  for (const volume of current?.volumes ?? []) {
    if (want.volumes.includes(volume)) continue;
    out.push({
      host,
      action: 'change',
      subject: `app ${want.app} volume ${volume}`,
      detail: `volume ${volume}: no longer in the compose file: kept with its data, never deleted by Slipway (\`docker volume rm ${volume}\` deletes it)`,
    });
  }
  return out;
}
