// Checks of app repositories: their registration in slipway.yml and their pipeline against it.
import { stepKind } from '../steps/kinds/index.ts';
import type { Loaded } from './cross-checks.ts';
import { suggestionHint } from './did-you-mean.ts';
import type { Pipeline } from './schema/pipeline.ts';
import type { App, Project } from './schema/project.ts';
import type { ConfigError } from './types.ts';
import { type KeyPath, positionOf } from './yaml-source.ts';
import { dotted } from './zod-errors.ts';

/**
 * The step kinds an app pipeline may hold. Every other kind (keys, Caddy, Docker, playbooks: each runs roles
 * or playbooks as root on the servers, and a role found in the app's tree would replace the shipped one)
 * runs only from the ops repository's own pipelines; a kind added later stays out until listed here.
 */
const APP_KINDS: readonly string[] = ['build', 'push', 'deploy', 'run', 'sync', 'approval'];

function at(src: Loaded<unknown>['src'], path: KeyPath, message: string, hint: string): ConfigError {
  return { ...positionOf(src, path), key: dotted(path), message, hint };
}

/** slipway.yml's `apps`: each environment an app may deploy to is declared, each repository is registered once. */
export function appRegistrationChecks(project: Loaded<Project>): ConfigError[] {
  const errors: ConfigError[] = [];
  const declared = Object.keys(project.value.environments);
  const owners = new Map<string, string>();
  for (const [name, app] of Object.entries(project.value.apps)) {
    app.environments.forEach((env, i) => {
      if (declared.includes(env)) return;
      errors.push(
        at(
          project.src,
          ['apps', name, 'environments', i],
          `expected an environment of "environments" (${declared.join(', ') || 'none declared'}), got "${env}"`,
          suggestionHint(env, declared, 'environments'),
        ),
      );
    });
    const repo = app.repository.toLowerCase();
    const other = owners.get(repo);
    if (other) {
      errors.push(
        at(
          project.src,
          ['apps', name, 'repository'],
          `repository ${app.repository} is already registered as app "${other}"`,
          'register each repository once',
        ),
      );
    } else owners.set(repo, name);
  }
  return errors;
}

/**
 * An app's pipeline against its registration: it deploys only its own app (the registered name), only to
 * the environments the ops repository allows the app, and holds no step kind that only the ops repository runs.
 */
export function appPipelineChecks(name: string, app: App, pipeline: Loaded<Pipeline>): ConfigError[] {
  const errors: ConfigError[] = [];
  const allowed = app.environments.join(', ') || 'none';
  for (const [job, def] of Object.entries(pipeline.value.jobs)) {
    if (def.environment && !app.environments.includes(def.environment)) {
      errors.push(
        at(
          pipeline.src,
          ['jobs', job, 'environment'],
          `app "${name}" may not deploy to environment "${def.environment}": slipway.yml on the default branch allows it ${allowed}`,
          `deploy to one of ${allowed}, or add "${def.environment}" to apps.${name}.environments in the ops repository`,
        ),
      );
    }
    def.steps.forEach((step, i) => {
      if ('deploy' in step && (step.deploy.app ?? pipeline.value.name) !== name) {
        errors.push(
          at(
            pipeline.src,
            ['jobs', job, 'steps', i, 'deploy', ...(step.deploy.app ? ['app'] : [])],
            `expected app "${name}" (its registered name), got "${step.deploy.app ?? pipeline.value.name}"`,
            `an app repository deploys only its own app: write "app: ${name}"`,
          ),
        );
      }
      if ('sync' in step && !ownsSyncTarget(name, step.sync.to)) {
        errors.push(
          at(
            pipeline.src,
            ['jobs', job, 'steps', i, 'sync', 'to'],
            `expected "${name}" or a name starting with "${name}-", got "${step.sync.to}"`,
            `an app repository syncs only to its own names (the ops repository's sites serve them): write "to: ${name}"`,
          ),
        );
      }
      const kind = stepKind(step);
      if (APP_KINDS.includes(kind)) return;
      errors.push(
        at(
          pipeline.src,
          ['jobs', job, 'steps', i, kind],
          `expected a build, push, deploy, run, sync or approval step in an app pipeline, got a ${kind} step`,
          `${kind} steps change the servers from the ops repository's files: put it in a pipeline of the ops repository`,
        ),
      );
    });
  }
  return errors;
}

/** A sync target an app may write: its own name or one under it, never another app's or the ops repository's. */
function ownsSyncTarget(app: string, to: string): boolean {
  return to === app || to.startsWith(`${app}-`);
}
