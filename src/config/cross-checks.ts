// Checks that span files: jobs against inventories, access against keys, sites against pipelines.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { kindOf, STEP_KINDS, type Step, stepOptions } from '../steps/kinds/index.ts';
import { suggestionHint } from './did-you-mean.ts';
import { sitesPathsByEnvironment } from './environment-sites.ts';
import { matchHosts } from './inventory/targets.ts';
import { findCycle } from './job-graph.ts';
import type { Access } from './schema/access.ts';
import type { Pipeline } from './schema/pipeline.ts';
import type { Project } from './schema/project.ts';
import type { Sites } from './schema/sites.ts';
import { availableIn } from './secret-scope.ts';
import type { ConfigError, Inventory, PublicKey } from './types.ts';
import { type KeyPath, positionOf, type YamlSource } from './yaml-source.ts';
import { dotted } from './zod-errors.ts';

/** A validated file with its source, for positions. */
export interface Loaded<T> {
  src: YamlSource;
  value: T;
}

/** Everything the cross-file checks look at. */
export interface RepoParts {
  root: string;
  project?: Loaded<Project>;
  pipelines: Loaded<Pipeline>[];
  accessFiles: Map<string, Loaded<Access>>;
  sitesFiles: Map<string, Loaded<Sites>>;
  keys: Map<string, PublicKey>;
  inventories: Map<string, Inventory>;
  /** Environment -> inventory path shown in messages, for every environment looked up. */
  inventoryPaths: Map<string, string>;
  /** False when some pipeline file did not load, so "which apps are deployed" is not known. */
  pipelinesComplete: boolean;
  /** Environments whose inventory exists but did not parse (already reported). */
  brokenInventories: Set<string>;
}

function err(
  src: YamlSource,
  path: KeyPath,
  message: string,
  hint: string,
  at: 'key' | 'value' = 'value',
): ConfigError {
  return { ...positionOf(src, path, at), key: dotted(path), message, hint };
}

/** A step's file options as [option key, path, what it must be], documents included. */
function stepFiles(step: Step): [string, string, FileType | undefined][] {
  const kind = kindOf(step);
  return Object.entries(kind.files(stepOptions(step))).flatMap(
    ([key, file]): ReturnType<typeof stepFiles> => {
      if (file === undefined) return [];
      if (typeof file === 'string') return [[`${kind.key}.${key}`, file, undefined]];
      return [[`${kind.key}.${key}`, file.path, 'is' in file ? file.is : 'file']];
    },
  );
}

export type FileType = 'file' | 'directory';

function principalsCheck(
  src: YamlSource,
  path: KeyPath,
  policy: { approvers: string[]; required: number },
  project: Project | undefined,
): ConfigError[] {
  const people = new Set<string>();
  let open = false;
  for (const a of policy.approvers) {
    if (!a.startsWith('@')) people.add(a);
    else if (project?.teams[a]) for (const m of project.teams[a]) people.add(m);
    else open = true; // team resolved by the forge at run time
  }
  if (open || policy.required <= people.size) return [];
  return [
    err(
      src,
      [...path, 'required'],
      `${policy.required} approvals required but only ${people.size} approver${people.size === 1 ? '' : 's'} listed`,
      'lower "required" or add approvers',
    ),
  ];
}

/** Whether `rel` is inside the repository (symlinks followed) and of type `is`. */
export function inRepo(root: string, rel: string, is?: FileType): 'ok' | 'missing' | 'escapes' | FileType {
  const abs = join(root, rel);
  if (!existsSync(abs)) return 'missing';
  const real = realpathSync(abs);
  const realRoot = realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return 'escapes';
  const actual: FileType = statSync(real).isDirectory() ? 'directory' : 'file';
  return is === undefined || is === actual ? 'ok' : actual;
}

function pipelineChecks(p: Loaded<Pipeline>, parts: RepoParts): ConfigError[] {
  const { src, value: pipeline } = p;
  const errors: ConfigError[] = [];
  const jobNames = Object.keys(pipeline.jobs);
  const envNames = [...parts.inventoryPaths.keys()].filter(
    (e) => parts.inventories.has(e) || parts.brokenInventories.has(e),
  );
  for (const [name, job] of Object.entries(pipeline.jobs)) {
    const jp = ['jobs', name];
    job.needs.forEach((dep, i) => {
      if (!(dep in pipeline.jobs)) {
        errors.push(
          err(
            src,
            [...jp, 'needs', i],
            `unknown job "${dep}"`,
            suggestionHint(dep, jobNames, 'jobs in this pipeline'),
          ),
        );
      }
    });
    const env = job.environment;
    const inventory = env ? parts.inventories.get(env) : undefined;
    if (env && !inventory && !parts.brokenInventories.has(env)) {
      errors.push(
        err(
          src,
          [...jp, 'environment'],
          `environment "${env}" has no inventory (${parts.inventoryPaths.get(env) ?? `inventories/${env}`} not found)`,
          suggestionHint(env, envNames, 'environments with an inventory'),
        ),
      );
    }
    if (job.approval)
      errors.push(...principalsCheck(src, [...jp, 'approval'], job.approval, parts.project?.value));
    job.steps.forEach((step, i) => {
      const sp = [...jp, 'steps', i];
      if ('approval' in step)
        errors.push(...principalsCheck(src, [...sp, 'approval'], step.approval, parts.project?.value));
      const kind = kindOf(step);
      if (kind.hosts !== 'runner') {
        const hosts = kind.hosts(stepOptions(step));
        if (!env) {
          errors.push(
            err(
              src,
              [...sp, kind.key],
              `a ${kind.key} step runs on hosts, but job "${name}" has no environment`,
              'add "environment:" to the job',
            ),
          );
        } else if (inventory && !matchHosts(inventory, hosts)) {
          const groups = [...inventory.groups.keys()].filter((g) => g !== 'ungrouped');
          errors.push(
            err(
              src,
              [...sp, kind.key, 'hosts'],
              `host group "${hosts}" is not in the inventory of environment "${env}"`,
              suggestionHint(hosts, groups, 'groups'),
            ),
          );
        }
      }
      for (const [key, file, is] of stepFiles(step)) {
        const state = inRepo(parts.root, file, is);
        const at = [...sp, ...key.split('.')];
        if (state === 'file' || state === 'directory')
          errors.push(
            err(
              src,
              at,
              `expected a ${is}, got a ${state}: "${file}"`,
              `point it at a ${is} in the repository`,
            ),
          );
        if (state === 'missing')
          errors.push(
            err(src, at, `"${file}" does not exist in the repository`, 'commit the file or fix the path'),
          );
        if (state === 'escapes')
          errors.push(
            err(
              src,
              at,
              `"${file}" leads outside the repository (through a symlink)`,
              'point it at a file inside the repository',
            ),
          );
      }
    });
  }
  const cycle = findCycle(pipeline.jobs);
  if (cycle) {
    errors.push(
      err(
        src,
        ['jobs', cycle[0]!, 'needs'],
        `needs form a cycle: ${cycle.join(' -> ')}`,
        'remove one of these needs',
      ),
    );
  }
  return errors;
}

/** A drift check (`mode: plan`) plans every job: each step must be of a kind whose plan is drift. */
function scheduleChecks(p: Loaded<Pipeline>): ConfigError[] {
  const entries = p.value.on.schedule ?? [];
  const steps = Object.entries(p.value.jobs).flatMap(([job, j]) => j.steps.map((s) => ({ job, s })));
  const odd = steps.find(({ s }) => !kindOf(s).driftCheck);
  if (!odd) return [];
  const checkable = STEP_KINDS.filter((k) => k.driftCheck).map((k) => k.key);
  return entries.flatMap((e, i) =>
    e.mode !== 'plan'
      ? []
      : [
          err(
            p.src,
            ['on', 'schedule', i, 'mode'],
            `mode plan checks drift, but job "${odd.job}" has a ${kindOf(odd.s).key} step, whose plan is not drift`,
            `plan only pipelines of ${checkable.join(', ')} steps, or write mode: run`,
          ),
        ],
  );
}

function accessChecks(access: Loaded<Access>, parts: RepoParts): ConfigError[] {
  const errors: ConfigError[] = [];
  const keyNames = [...parts.keys.keys()];
  const groups = new Set<string>(['all']);
  for (const inv of parts.inventories.values()) {
    for (const g of inv.groups.keys()) if (g !== 'ungrouped') groups.add(g);
    for (const h of inv.hosts.keys()) groups.add(h);
  }
  for (const [user, spec] of Object.entries(access.value.users)) {
    spec.keys.forEach((k, i) => {
      if (!parts.keys.has(k)) {
        errors.push(
          err(
            access.src,
            ['users', user, 'keys', i],
            `no key "${k}" in infra/ssh-keys/`,
            parts.keys.size ? suggestionHint(k, keyNames, 'keys') : `add infra/ssh-keys/${k}.pub`,
          ),
        );
      }
    });
    if (parts.inventories.size === 0) continue;
    spec.hosts.forEach((g, i) => {
      if (!groups.has(g)) {
        errors.push(
          err(
            access.src,
            ['users', user, 'hosts', i],
            `host group "${g}" is in no inventory`,
            suggestionHint(g, [...groups], 'groups'),
          ),
        );
      }
    });
  }
  return errors;
}

/** What the pipelines put on hosts that a route can serve: deployed apps and synced directories. */
function routeTargets(parts: RepoParts): { apps: Set<string>; synced: Set<string> } {
  // A registered app repository deploys the app of its registered name (app-checks.ts holds it to that).
  const apps = new Set<string>(Object.keys(parts.project?.value.apps ?? {}));
  const synced = new Set<string>();
  for (const p of parts.pipelines) {
    for (const job of Object.values(p.value.jobs)) {
      for (const step of job.steps) {
        if ('deploy' in step) apps.add(step.deploy.app ?? p.value.name);
        if ('sync' in step) synced.add(step.sync.to);
      }
    }
  }
  return { apps, synced };
}

function syncRouteCheck(sites: Loaded<Sites>, at: KeyPath, name: string, synced: Set<string>): ConfigError[] {
  if (synced.has(name)) return [];
  const hint = synced.size
    ? suggestionHint(name, [...synced], 'synced directories')
    : `add a sync step with "to: ${name}" to a pipeline`;
  return [err(sites.src, at, `no pipeline syncs a directory "${name}"`, hint)];
}

function siteChecks(sites: Loaded<Sites>, parts: RepoParts): ConfigError[] {
  const errors: ConfigError[] = [];
  const { apps, synced } = routeTargets(parts);
  const envs = [...parts.inventoryPaths.keys()];
  for (const [domain, site] of Object.entries(sites.value.sites)) {
    const seen = new Map<string, number>();
    site.routes.forEach((route, i) => {
      const rp = ['sites', domain, 'routes', i];
      const before = seen.get(route.path);
      if (before !== undefined) {
        const line = positionOf(sites.src, ['sites', domain, 'routes', before]).line;
        errors.push(
          err(
            sites.src,
            [...rp, 'path'],
            `path "${route.path}" of ${domain} is already claimed by the route at line ${line}`,
            'give each route of a domain its own path',
          ),
        );
      } else seen.set(route.path, i);
      if (parts.pipelinesComplete && 'static' in route && 'sync' in route.static)
        errors.push(...syncRouteCheck(sites, [...rp, 'static', 'sync'], route.static.sync, synced));
      if (parts.pipelinesComplete && 'proxy' in route && 'app' in route.proxy && !apps.has(route.proxy.app)) {
        errors.push(
          err(
            sites.src,
            [...rp, 'proxy', 'app'],
            `no pipeline deploys an app "${route.proxy.app}"`,
            apps.size
              ? suggestionHint(route.proxy.app, [...apps], 'deployed apps')
              : 'add a pipeline with a deploy step for it',
          ),
        );
      }
    });
    const inventories = (site.environments ?? [...parts.inventories.keys()])
      .map((e) => parts.inventories.get(e))
      .filter((inv) => inv !== undefined);
    const known = (inv: Inventory) => inv.groups.has(site.hosts) || inv.hosts.has(site.hosts);
    if (inventories.length > 0 && site.hosts !== 'all' && !inventories.some(known)) {
      const groups = [...new Set(inventories.flatMap((inv) => [...inv.groups.keys()]))].filter(
        (g) => g !== 'ungrouped',
      );
      errors.push(
        err(
          sites.src,
          ['sites', domain, 'hosts'],
          `host group "${site.hosts}" is in no inventory of this site`,
          suggestionHint(site.hosts, groups, 'groups'),
        ),
      );
    }
    (site.environments ?? []).forEach((e, i) => {
      if (!parts.inventoryPaths.has(e)) {
        errors.push(
          err(
            sites.src,
            ['sites', domain, 'environments', i],
            `unknown environment "${e}"`,
            suggestionHint(e, envs, 'environments'),
          ),
        );
      }
    });
  }
  return errors;
}

/** An environment's caddy steps must render one sites file: with two, each run would undo the other. */
function sitesPerEnvironment(parts: RepoParts): ConfigError[] {
  const byEnv = sitesPathsByEnvironment(parts.pipelines.map((p) => p.value));
  const errors: ConfigError[] = [];
  for (const p of parts.pipelines)
    for (const [name, job] of Object.entries(p.value.jobs))
      job.steps.forEach((step, i) => {
        const paths = [...(byEnv.get(job.environment ?? '') ?? [])];
        const kind = kindOf(step);
        const [key, file] =
          Object.entries(kind.files(stepOptions(step))).find(
            ([, f]) => typeof f === 'object' && 'document' in f && f.document === 'sites',
          ) ?? [];
        if (paths.length > 1 && key && typeof file === 'object' && file.path !== paths[0])
          errors.push(
            err(
              p.src,
              ['jobs', name, 'steps', i, kind.key, key],
              `environment "${job.environment}" is already routed by ${paths[0]}, not ${file.path}`,
              'give every caddy step of an environment the same sites file',
            ),
          );
      });
  return errors;
}

/** Two sync steps must not ship different sources to one directory of the same hosts: each run would undo the other. */
function syncTargets(parts: RepoParts): ConfigError[] {
  const first = new Map<string, { source: string; file: string }>();
  const errors: ConfigError[] = [];
  for (const p of parts.pipelines)
    for (const [name, job] of Object.entries(p.value.jobs))
      job.steps.forEach((step, i) => {
        if (!('sync' in step) || !job.environment) return;
        const { to, hosts, source } = step.sync;
        const key = JSON.stringify([job.environment, hosts, to]);
        const seen = first.get(key);
        if (!seen) first.set(key, { source, file: p.src.file });
        else if (seen.source !== source)
          errors.push(
            err(
              p.src,
              ['jobs', name, 'steps', i, 'sync', 'to'],
              `"${to}" on ${hosts} of environment "${job.environment}" already ships ${seen.source} (${seen.file}), not ${source}`,
              'give each synced directory its own "to"',
            ),
          );
      });
  return errors;
}

/** Every cross-file problem of an otherwise valid repository. */
/** `${{ ... }}` in a value Slipway passes on verbatim: it would reach the app as that literal text. */
const EXPRESSION = /\$\{\{/;

/** A reference to a pipeline secret inside a `run.env` value. */
const SECRET_REF = /\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const SECRET_HINT =
  "hand a secret to the app with the deploy step's secrets: { VARIABLE: secret_name } and " +
  '"environment: { VARIABLE: $' +
  '{VARIABLE} }" in the compose service (see README, Secrets)';

/** Secrets: each reference names a declared secret that the job's environment may read; no expressions in env. */
function secretChecks(p: Loaded<Pipeline>, parts: RepoParts): ConfigError[] {
  const { src, value: pipeline } = p;
  const errors: ConfigError[] = [];
  const declared = Object.keys(pipeline.secrets);
  const envNames = [...parts.inventoryPaths.keys()];
  const refCheck = (path: KeyPath, secret: string, environment: string | undefined) => {
    const source = pipeline.secrets[secret];
    if (!source)
      errors.push(
        err(src, path, `secret "${secret}" is not declared`, suggestionHint(secret, declared, 'secrets')),
      );
    else if (!availableIn(source, environment))
      errors.push(
        err(
          src,
          path,
          `secret "${secret}" is not available to ${environment ? `environment "${environment}"` : 'a job without an environment'}`,
          "add the environment to the secret's environments (or by_environment), or use another secret",
        ),
      );
  };
  for (const [k, v] of Object.entries(pipeline.env))
    if (EXPRESSION.test(v))
      errors.push(err(src, ['env', k], `expressions like \${{ ... }} are not expanded in env`, SECRET_HINT));
  for (const [name, source] of Object.entries(pipeline.secrets)) {
    const limits =
      'by_environment' in source ? Object.keys(source.by_environment) : (source.environments ?? []);
    const key = 'by_environment' in source ? 'by_environment' : 'environments';
    for (const e of limits)
      if (envNames.length > 0 && !envNames.includes(e))
        errors.push(
          err(
            src,
            ['secrets', name, key],
            `unknown environment "${e}"`,
            suggestionHint(e, envNames, 'environments'),
          ),
        );
  }
  if (pipeline.registry && !pipeline.secrets[pipeline.registry.password_secret])
    refCheck(['registry', 'password_secret'], pipeline.registry.password_secret, undefined);
  for (const [name, job] of Object.entries(pipeline.jobs)) {
    job.steps.forEach((step, i) => {
      const sp = ['jobs', name, 'steps', i];
      if ('deploy' in step) {
        for (const [k, v] of Object.entries(step.deploy.env))
          if (EXPRESSION.test(v))
            errors.push(
              err(
                src,
                [...sp, 'deploy', 'env', k],
                `expressions like \${{ ... }} are not expanded in deploy env`,
                SECRET_HINT,
              ),
            );
        for (const [k, secret] of Object.entries(step.deploy.secrets))
          refCheck([...sp, 'deploy', 'secrets', k], secret, job.environment);
      }
      if ('run' in step)
        for (const [k, v] of Object.entries(step.run.env))
          for (const m of v.matchAll(SECRET_REF)) refCheck([...sp, 'run', 'env', k], m[1]!, job.environment);
    });
  }
  return errors;
}

export function crossChecks(parts: RepoParts): ConfigError[] {
  const errors: ConfigError[] = [];
  const names = new Map<string, string>();
  for (const p of parts.pipelines) {
    errors.push(...pipelineChecks(p, parts), ...secretChecks(p, parts), ...scheduleChecks(p));
    const other = names.get(p.value.name);
    if (other) {
      errors.push(
        err(
          p.src,
          ['name'],
          `pipeline name "${p.value.name}" is already used by ${other}`,
          'give each pipeline its own name',
        ),
      );
    } else names.set(p.value.name, p.src.file);
  }
  errors.push(...sitesPerEnvironment(parts), ...syncTargets(parts));
  for (const access of parts.accessFiles.values()) errors.push(...accessChecks(access, parts));
  for (const sites of parts.sitesFiles.values()) errors.push(...siteChecks(sites, parts));
  return errors;
}
