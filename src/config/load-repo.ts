// Loads and validates the whole ops repository in one pass: every file, every error.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { appPipelineChecks, appRegistrationChecks } from './app-checks.ts';
import { composeServiceChecks } from './compose-services.ts';
import { crossChecks, type Loaded, type RepoParts } from './cross-checks.ts';
import { stepDocuments } from './environment-sites.ts';
import { ConfigErrorList, sortConfigErrors } from './errors.ts';
import { statOrUndefined } from './file-read.ts';
import { resolveInventorySync } from './inventory/resolve.ts';
import { loadKeyFiles } from './key-files.ts';
import { REPO_LAYOUT } from './layout.ts';
import { roleOverrideChecks } from './role-overrides.ts';
import { access as accessSchema } from './schema/access.ts';
import { type Pipeline, pipeline as pipelineSchema } from './schema/pipeline.ts';
import { type Project, project as projectSchema } from './schema/project.ts';
import { sites as sitesSchema } from './schema/sites.ts';
import type { ConfigError, Inventory, LoadResult, OpsRepo } from './types.ts';
import { allPositions, positionOf, readYaml } from './yaml-source.ts';
import { validateSource } from './zod-errors.ts';

export { formatConfigError } from './errors.ts';

/** Options of `loadRepo`. */
export interface LoadOptions {
  /** Swaps the inventories root: environment X resolves to `<inventoriesRoot>/X` (the `--inventories` option). */
  inventoriesRoot?: string;
  /**
   * Read slipway.yml from this directory instead (the trusted ref's tree): environments, teams and people
   * never come from the commit being run.
   */
  projectFrom?: string;
}

function loadFile<S extends z.core.$ZodType>(
  root: string,
  rel: string,
  schema: S,
  errors: ConfigError[],
): Loaded<z.core.output<S>> | undefined {
  const { source, errors: yamlErrors } = readYaml(join(root, rel), rel);
  errors.push(...yamlErrors);
  if (!source) return undefined;
  const { value, errors: schemaErrors } = validateSource(source, schema);
  errors.push(...schemaErrors);
  return value === undefined ? undefined : { src: source, value };
}

function pipelineFiles(root: string): string[] {
  const dir = join(root, REPO_LAYOUT.pipelines);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n) && !statOrUndefined(join(dir, n))?.isDirectory())
    .sort()
    .map((n) => `${REPO_LAYOUT.pipelines}/${n}`);
}

/** Environment -> inventory path (absolute), following slipway.yml and the `--inventories` swap. */
export function inventoryPath(
  root: string,
  env: string,
  project: { environments: Record<string, { inventory?: string }> } | undefined,
  opts: LoadOptions = {},
): string {
  if (opts.inventoriesRoot) return resolve(root, opts.inventoriesRoot, env);
  return resolve(root, project?.environments[env]?.inventory ?? `${REPO_LAYOUT.inventories}/${env}`);
}

/**
 * Reads slipway.yml, pipelines/*.yml, inventories, infra/access.yml, infra/ssh-keys/*.pub and
 * infra/sites.yml; validates each against its schema and the cross-file rules; reports every error.
 */
export async function loadRepo(root: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const absRoot = resolve(root);
  return loadTrees(absRoot, opts, () => ({
    root: absRoot,
    files: pipelineFiles(absRoot),
    documents: true,
    checks: () => [],
  }));
}

/** Where an app's commit is checked out and which registered app it is. */
export interface AppCheckout {
  /** The registered name (a key of slipway.yml `apps`). */
  name: string;
  /** The tree of the app commit: its pipeline file and every path its steps name are relative to it. */
  root: string;
}

/**
 * An app repository's run context: its registered pipeline file from the app checkout, with slipway.yml,
 * inventories and infra/ from the ops tree `opsRoot` (slipway.yml from `projectFrom` when given). The
 * result's `root` is the app checkout (where steps work), `opsRoot` the ops tree (where inventories' paths
 * lead); its pipeline may deploy only to the environments slipway.yml allows the app.
 */
export async function loadAppRepo(
  app: AppCheckout,
  opsRoot: string,
  opts: LoadOptions = {},
): Promise<LoadResult> {
  const appRoot = resolve(app.root);
  if (!existsSync(appRoot)) throw new Error(`expected the app checkout ${appRoot}, got nothing there`);
  return loadTrees(resolve(opsRoot), opts, (project) => {
    const registered = project?.value.apps[app.name];
    if (!registered) {
      return [
        {
          file: REPO_LAYOUT.project,
          line: 1,
          col: 1,
          key: `apps.${app.name}`,
          message: `app "${app.name}" is not registered in slipway.yml on the default branch`,
          hint: `register it under "apps:" (repository, url, environments) in the ops repository`,
        },
      ];
    }
    if (!statOrUndefined(join(appRoot, registered.pipeline))?.isFile()) {
      return [
        {
          file: registered.pipeline,
          line: 1,
          col: 1,
          key: '',
          message: `app "${app.name}" has no pipeline file ${registered.pipeline} at this commit`,
          hint: `commit ${registered.pipeline} to the app repository, or set apps.${app.name}.pipeline`,
        },
      ];
    }
    if (!insideTree(appRoot, registered.pipeline)) {
      return [
        {
          file: registered.pipeline,
          line: 1,
          col: 1,
          key: '',
          message: `expected a file of the app repository, got a symlink leading out of it`,
          hint: `commit ${registered.pipeline} itself, not a link to it`,
        },
      ];
    }
    return {
      root: appRoot,
      files: [registered.pipeline],
      documents: false,
      checks: (p) => appPipelineChecks(app.name, registered, p),
    };
  });
}

/** The pipelines a load validates: files relative to `root`, with checks of its own for each. */
interface PipelineSource {
  root: string;
  files: string[];
  /** Also load and check infra/access.yml, infra/sites.yml and the documents steps name. */
  documents: boolean;
  checks(pipeline: Loaded<Pipeline>): ConfigError[];
}

/**
 * Loads slipway.yml, inventories and infra/ from the ops tree `opsRoot` and the pipelines `sourceOf` names
 * (or the errors it returns instead); validates them together.
 */
async function loadTrees(
  absRoot: string,
  opts: LoadOptions,
  sourceOf: (project: Loaded<Project> | undefined) => PipelineSource | ConfigError[],
): Promise<LoadResult> {
  const errors: ConfigError[] = [];
  const projectRoot = opts.projectFrom ? resolve(opts.projectFrom) : absRoot;
  // A policy tree removed meanwhile must not read as "no slipway.yml" (every branch, no people).
  if (!existsSync(projectRoot)) throw new Error(`the policy tree ${projectRoot} is gone; try again`);
  const project = existsSync(join(projectRoot, REPO_LAYOUT.project))
    ? loadFile(projectRoot, REPO_LAYOUT.project, projectSchema, errors)
    : undefined;
  if (project) errors.push(...appRegistrationChecks(project));
  const source = sourceOf(project);
  if (Array.isArray(source)) return { ok: false, errors: sortConfigErrors([...errors, ...source]) };
  const pipelineLoads = source.files.map((f) => loadFile(source.root, f, pipelineSchema, errors));
  const pipelines = pipelineLoads.filter((p) => p !== undefined);
  for (const p of pipelines) errors.push(...source.checks(p));
  const docs = stepDocuments(pipelines.map((p) => p.value));
  const named = (kind: 'sites' | 'access') => docs.filter((d) => d.document === kind).map((d) => d.path);
  // An app's pipeline has no ssh-keys or caddy step: the ops repository's own loads check its documents.
  const documents = <S extends z.core.$ZodType>(path: string, kind: 'sites' | 'access', schema: S) =>
    source.documents
      ? loadDocuments(absRoot, path, named(kind), schema, errors)
      : new Map<string, Loaded<z.core.output<S>>>();
  const accessFiles = documents(REPO_LAYOUT.access, 'access', accessSchema);
  const sitesFiles = documents(REPO_LAYOUT.sites, 'sites', sitesSchema);
  // An app's deploys switch the upstreams of the ops repository's routes to it (infra/sites.yml); that file's
  // routes to other apps and synced directories are checked by the ops repository's loads, which see them.
  const routes = source.documents
    ? sitesFiles
    : loadDocuments(absRoot, REPO_LAYOUT.sites, [], sitesSchema, errors);
  const keys = loadKeyFiles(join(absRoot, REPO_LAYOUT.keys), REPO_LAYOUT.keys, errors);

  const declared = Object.keys(project?.value.environments ?? {});
  const used = pipelines.flatMap((p) =>
    Object.values(p.value.jobs).flatMap((j) => (j.environment ? [j.environment] : [])),
  );
  const inventories = new Map<string, Inventory>();
  const inventoryPaths = new Map<string, string>();
  const brokenInventories = new Set<string>();
  for (const env of new Set([...declared, ...used])) {
    const dir = inventoryPath(absRoot, env, project?.value, opts);
    const shown = isAbsolute(relative(absRoot, dir)) ? dir : relative(absRoot, dir);
    inventoryPaths.set(env, shown);
    if (!existsSync(dir)) {
      if (project && declared.includes(env) && !used.includes(env)) {
        errors.push({
          ...positionOfEnv(project, env),
          message: `inventory ${shown} of environment "${env}" not found`,
          hint: `create ${shown}/hosts.yml${opts.inventoriesRoot ? '' : ' or set "inventory:" to its path'}`,
        });
      }
      continue;
    }
    errors.push(...ignoredIniFiles(dir, absRoot));
    try {
      inventories.set(env, resolveInventorySync(dir, env, { displayRoot: absRoot }));
    } catch (err) {
      if (!(err instanceof ConfigErrorList)) throw err;
      brokenInventories.add(env);
      errors.push(...err.errors);
    }
  }

  const parts: RepoParts = {
    root: source.root,
    project,
    pipelines,
    pipelinesComplete: pipelines.length === pipelineLoads.length,
    accessFiles,
    sitesFiles,
    keys,
    inventories,
    inventoryPaths,
    brokenInventories,
  };
  errors.push(
    ...crossChecks(parts),
    ...composeServiceChecks(source.root, pipelines),
    ...roleOverrideChecks(absRoot),
  );
  if (errors.length > 0) return { ok: false, errors: sortConfigErrors(errors) };
  const repo: OpsRepo = {
    root: source.root,
    ...(source.root === absRoot ? {} : { opsRoot: absRoot }),
    project: project?.value ?? projectSchema.parse({}),
    pipelines: pipelines.map((p) => ({
      file: p.src.file,
      pipeline: p.value,
      positions: allPositions(p.src),
    })),
    inventories,
    keys,
    accessFiles: values(accessFiles),
    sitesFiles: values(routes),
  };
  return { ok: true, repo };
}

/**
 * The default document when present and every one a step names (a missing one is reported by the
 * cross-checks, at the step that names it), each validated with `schema`.
 */
function loadDocuments<S extends z.core.$ZodType>(
  root: string,
  defaultPath: string,
  named: readonly string[],
  schema: S,
  errors: ConfigError[],
): Map<string, Loaded<z.core.output<S>>> {
  const out = new Map<string, Loaded<z.core.output<S>>>();
  for (const rel of new Set([defaultPath, ...named])) {
    if (!existsSync(join(root, rel)) || statOrUndefined(join(root, rel))?.isDirectory()) continue;
    const loaded = loadFile(root, rel, schema, errors);
    if (loaded) out.set(rel, loaded);
  }
  return out;
}

function values<T>(loaded: Map<string, Loaded<T>>): Map<string, T> {
  return new Map([...loaded].map(([path, l]) => [path, l.value]));
}

/**
 * `*.ini` files in an inventory directory: Ansible skips them without a word (so does the resolver,
 * to stay equal to it), and their hosts silently vanish; validation says so.
 */
function ignoredIniFiles(dir: string, root: string): ConfigError[] {
  if (!statOrUndefined(dir)?.isDirectory()) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.ini') && !n.startsWith('.'))
    .sort()
    .map((n) => ({
      file: relative(root, join(dir, n)),
      line: 1,
      col: 1,
      key: '',
      message: 'Ansible ignores *.ini files inside an inventory directory',
      hint: `rename it to ${n.slice(0, -'.ini'.length)} (INI without an extension) or write it as YAML`,
    }));
}

/** Only slipway.yml (defaults when absent): enough to find inventories without validating everything. */
export function loadProject(root: string): { project?: Project; errors: ConfigError[] } {
  const absRoot = resolve(root);
  if (!existsSync(join(absRoot, REPO_LAYOUT.project)))
    return { project: projectSchema.parse({}), errors: [] };
  const errors: ConfigError[] = [];
  const loaded = loadFile(absRoot, REPO_LAYOUT.project, projectSchema, errors);
  return loaded ? { project: loaded.value, errors } : { errors };
}

function positionOfEnv(project: Loaded<unknown>, env: string): Omit<ConfigError, 'message'> {
  const path = ['environments', env];
  return { ...positionOf(project.src, path, 'key'), key: path.join('.') };
}

/** True when `rel` resolves (through any symlink) to a path inside `root`. */
function insideTree(root: string, rel: string): boolean {
  const top = realpathSync(root);
  return realpathSync(join(top, rel)).startsWith(top + sep);
}
