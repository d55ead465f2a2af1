import { matchHosts } from '../config/inventory/targets.ts';
import type { InventoryHost, OpsRepo, PipelineFile } from '../config/types.ts';

/** An app of an environment: the hosts its deploy steps target there, and the pipelines that deploy it. */
export interface AppTarget {
  app: string;
  environment: string;
  /** In inventory order, each once (several deploy steps may target one host). */
  hosts: InventoryHost[];
  pipelines: PipelineFile[];
}

/** Every app a deploy step deploys to `env`, by name, with the `hosts:` patterns and pipelines of those steps. */
export function appsDeployedTo(
  repo: OpsRepo,
  env: string,
): Map<string, { patterns: string[]; pipelines: PipelineFile[] }> {
  const apps = new Map<string, { patterns: string[]; pipelines: PipelineFile[] }>();
  for (const file of repo.pipelines) {
    for (const job of Object.values(file.pipeline.jobs)) {
      if (job.environment !== env) continue;
      for (const step of job.steps) {
        if (!('deploy' in step)) continue;
        const app = step.deploy.app ?? file.pipeline.name;
        const entry = apps.get(app) ?? { patterns: [], pipelines: [] };
        entry.patterns.push(step.deploy.hosts);
        if (!entry.pipelines.includes(file)) entry.pipelines.push(file);
        apps.set(app, entry);
      }
    }
  }
  return apps;
}

/**
 * The hosts `app` runs on in `env`, from the ops repository (never from user input: the app must be one a
 * deploy step names). Throws saying which environments or apps there are when the request names none.
 */
export function appTarget(repo: OpsRepo, env: string, app: string): AppTarget {
  const inventory = repo.inventories.get(env);
  if (!inventory) {
    const known = [...repo.inventories.keys()].sort().join(', ') || 'none';
    throw new Error(`no environment ${env} (environments: ${known})`);
  }
  const apps = appsDeployedTo(repo, env);
  const entry = apps.get(app);
  if (!entry) {
    const known = [...apps.keys()].sort().join(', ') || 'none';
    throw new Error(`no pipeline job deploys ${app} to ${env} (apps deployed to ${env}: ${known})`);
  }
  const names = new Set(entry.patterns.flatMap((p) => (matchHosts(inventory, p) ?? []).map((h) => h.name)));
  const hosts = [...inventory.hosts.values()].filter((h) => names.has(h.name));
  return { app, environment: env, hosts, pipelines: entry.pipelines };
}

/** The target's hosts, or only `name` when given; throws naming the app's hosts when `name` is not one. */
export function pickHosts(target: AppTarget, name: string | undefined): InventoryHost[] {
  if (name === undefined) return target.hosts;
  const host = target.hosts.find((h) => h.name === name);
  if (!host) {
    throw new Error(
      `${target.app} does not run on ${name} in ${target.environment} (its hosts: ${target.hosts.map((h) => h.name).join(', ')})`,
    );
  }
  return [host];
}
