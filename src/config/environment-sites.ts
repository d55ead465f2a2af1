import { kindOf, stepOptions } from '../steps/kinds/index.ts';
import { REPO_LAYOUT } from './load-repo.ts';
import type { Pipeline } from './schema/pipeline.ts';
import type { Sites } from './schema/sites.ts';
import type { OpsRepo } from './types.ts';

/** Environment -> the sites files the steps of its jobs name (a caddy step's `sites`). */
export function sitesPathsByEnvironment(pipelines: readonly Pipeline[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of pipelines)
    for (const job of Object.values(p.jobs)) {
      if (!job.environment) continue;
      for (const step of job.steps)
        for (const file of Object.values(kindOf(step).files(stepOptions(step))))
          if (typeof file === 'object' && file.document === 'sites') {
            const paths = out.get(job.environment) ?? new Set<string>();
            out.set(job.environment, paths.add(file.path));
          }
    }
  return out;
}

/**
 * The sites file that routes an environment: the one its caddy steps render (validation allows one per
 * environment), else infra/sites.yml. A deploy switches the upstreams of exactly these routes.
 */
export function sitesOf(repo: OpsRepo, environment: string): Sites | undefined {
  const named = sitesPathsByEnvironment(repo.pipelines.map((p) => p.pipeline)).get(environment);
  return repo.sitesFiles.get(named ? [...named][0]! : REPO_LAYOUT.sites);
}
