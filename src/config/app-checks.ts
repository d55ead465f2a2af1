// Checks of app repositories: their registration in slipway.yml and their pipeline against it.
import { stepKind } from '../steps/kinds/index.ts';
import type { Loaded } from './cross-checks.ts';
import { suggestionHint } from './did-you-mean.ts';
import { describeSecretOrigin, secretOrigins } from './schema/common.ts';
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
const APP_KINDS: readonly string[] = ['build', 'push', 'deploy', 'sync', 'approval'];

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
      if (APP_KINDS.includes(kind) || (kind === 'run' && app.run_steps)) return;
      errors.push(at(pipeline.src, ['jobs', job, 'steps', i, kind], ...refusedKind(name, kind)));
    });
  }
  return [
    ...errors,
    ...triggerChecks(pipeline),
    ...imageChecks(name, app, pipeline),
    ...secretChecks(name, app, pipeline),
  ];
}

/** Why a step of `kind` is refused in app `name`'s pipeline, and what to write instead. */
function refusedKind(name: string, kind: string): [string, string] {
  if (kind === 'run')
    return [
      `expected no run step in the pipeline of app "${name}" (apps.${name}.run_steps is off), got a run step`,
      'run steps execute on the runner as its user, with its files: build in the Dockerfile instead, or set ' +
        `run_steps: true under apps.${name} in the ops repository for a repository whose committers you trust with the runner`,
    ];
  return [
    `expected a build, push, deploy, sync or approval step in an app pipeline, got a ${kind} step`,
    `${kind} steps change the servers from the ops repository's files: put it in a pipeline of the ops repository`,
  ];
}

/** An app's pipeline starts on pushes (and by hand): serve polls and schedules the ops repository's only. */
function triggerChecks(pipeline: Loaded<Pipeline>): ConfigError[] {
  return (['poll', 'schedule'] as const).flatMap((key) =>
    pipeline.value.on[key] === undefined
      ? []
      : [
          at(
            pipeline.src,
            ['on', key],
            `expected push or manual triggers in an app pipeline, got on.${key}`,
            "an app repository's pushes reach serve by webhook; poll or schedule from a pipeline of the ops repository",
          ),
        ],
  );
}

/**
 * The app's image: the one repository its registration names, so that registry credentials it is granted
 * push nothing else (another app's image, a base image the ops repository builds on).
 */
function imageChecks(name: string, app: App, pipeline: Loaded<Pipeline>): ConfigError[] {
  const image = pipeline.value.image;
  if (image === undefined || image === app.image) return [];
  return [
    at(
      pipeline.src,
      ['image'],
      `expected the image repository registered for app "${name}" (apps.${name}.image: ${app.image ?? 'none'}), got ${image}`,
      `register it as apps.${name}.image in the ops repository's slipway.yml (a policy change, approved at the app's gates)`,
    ),
  ];
}

/** The app's secrets: each source its pipeline names must be one the ops repository registered for the app. */
function secretChecks(name: string, app: App, pipeline: Loaded<Pipeline>): ConfigError[] {
  const registered = app.secrets.map(describeSecretOrigin);
  const allowed = registered.join(', ') || 'none';
  return Object.entries(pipeline.value.secrets).flatMap(([secret, source]) =>
    secretOrigins(source)
      .map(describeSecretOrigin)
      .filter((origin) => !registered.includes(origin))
      .map((origin) =>
        at(
          pipeline.src,
          ['secrets', secret],
          `expected a source registered for app "${name}" (apps.${name}.secrets: ${allowed}), got ${origin}`,
          `register it under apps.${name}.secrets in the ops repository's slipway.yml (a policy change, approved at the app's gates)`,
        ),
      ),
  );
}

/** A sync target an app may write: its own name or one under it, never another app's or the ops repository's. */
function ownsSyncTarget(app: string, to: string): boolean {
  return to === app || to.startsWith(`${app}-`);
}
