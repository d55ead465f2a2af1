import { kindOf, stepOptions } from '../steps/kinds/index.ts';
import { REPO_LAYOUT } from './layout.ts';
import type { Pipeline } from './schema/pipeline.ts';
import type { Sites } from './schema/sites.ts';
import type { OpsRepo } from './types.ts';

/** A document (sites or access file) a step names, with the environment of the step's job. */
export interface StepDocument {
  document: 'sites' | 'access';
  path: string;
  environment?: string;
}

/** Every document the pipelines' steps name. */
export function stepDocuments(pipelines: readonly Pipeline[]): StepDocument[] {
  return pipelines.flatMap((p) =>
    Object.values(p.jobs).flatMap((job) =>
      job.steps.flatMap((step) =>
        Object.values(kindOf(step).files(stepOptions(step))).flatMap((file) =>
          typeof file === 'object' && 'document' in file ? [{ ...file, environment: job.environment }] : [],
        ),
      ),
    ),
  );
}

/** Environment -> the sites files the steps of its jobs name (a caddy step's `sites`). */
export function sitesPathsByEnvironment(pipelines: readonly Pipeline[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of stepDocuments(pipelines))
    if (d.document === 'sites' && d.environment)
      out.set(d.environment, (out.get(d.environment) ?? new Set<string>()).add(d.path));
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
