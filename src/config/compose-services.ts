// A deploy step's `services:` and `stateful:` name compose services (a typo would skip the real service's
// check), and its compose file must let stateful services run once per host.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { Loaded } from './cross-checks.ts';
import { suggestionHint } from './did-you-mean.ts';
import type { Pipeline } from './schema/pipeline.ts';
import { APP_IMAGE_VARIABLE, serviceRoles, statefulProblems } from './stateful-services.ts';
import type { ConfigError } from './types.ts';
import { positionOf } from './yaml-source.ts';
import { dotted } from './zod-errors.ts';

/** Service names of a compose file in file order; undefined when it has no `services:` mapping to read. */
export function composeServiceNames(source: string): string[] | undefined {
  const doc = parseDocument(source);
  const services = doc.errors.length === 0 ? doc.get('services') : undefined;
  if (!isMap(services)) return undefined;
  return services.items.flatMap((i) => (isScalar(i.key) ? [String(i.key.value)] : []));
}

/** The names of `listed` that are not services of the compose file, each with its hint. */
export function unknownServices(
  listed: readonly string[],
  services: readonly string[],
): { name: string; hint: string }[] {
  return listed
    .filter((n) => !services.includes(n))
    .map((name) => ({ name, hint: suggestionHint(name, services, 'services in the compose file') }));
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // a missing compose file is reported by the file checks
  }
}

type DeployOptions = Extract<Pipeline['jobs'][string]['steps'][number], { deploy: unknown }>['deploy'];

// The errors of one deploy step against its compose file: names it does not define (in `services:` and
// `stateful:`), stateful services written so they cannot run once, a release command with no image to run in.
function deployStepErrors(
  src: Loaded<Pipeline>['src'],
  at: (string | number)[],
  deploy: DeployOptions,
  source: string | undefined,
  image: string | undefined,
): ConfigError[] {
  const errors: ConfigError[] = [];
  const err = (path: (string | number)[], message: string, hint?: string, where: 'key' | 'value' = 'key') =>
    errors.push({
      ...positionOf(src, [...at, ...path], where),
      key: dotted([...at, ...path]),
      message,
      ...(hint ? { hint } : {}),
    });
  if (deploy.release_command && !image)
    err(
      ['release_command'],
      'the release command runs in the app image, but the pipeline has no image:',
      'add a top-level image: (the repository the build step pushes)',
    );
  const services = source === undefined ? undefined : composeServiceNames(source);
  if (!services || source === undefined) return errors;
  for (const key of ['services', 'stateful'] as const) {
    for (const { name, hint } of unknownServices(Object.keys(deploy[key]), services))
      err([key, name], `${deploy.compose} has no service "${name}"`, hint);
  }
  for (const problem of statefulProblems(source, deploy.stateful, deploy.compose))
    err(['compose'], problem, undefined, 'value');
  if (deploy.release_command && !serviceRoles(source, deploy.stateful).some((r) => r.appImage))
    err(
      ['release_command'],
      `the release command runs in the app image, but no service of ${deploy.compose} has image: \${${APP_IMAGE_VARIABLE}}`,
    );
  return errors;
}

/**
 * Every deploy step's problems with its compose file, at their file:line:col: a `services:` or `stateful:` key
 * the file does not define, a stateful service that could not run once per host, a release command with no image.
 */
export function composeServiceChecks(root: string, pipelines: readonly Loaded<Pipeline>[]): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const { src, value } of pipelines) {
    for (const [job, spec] of Object.entries(value.jobs)) {
      spec.steps.forEach((step, i) => {
        if (!('deploy' in step)) return;
        const source = readOrUndefined(join(root, step.deploy.compose));
        errors.push(
          ...deployStepErrors(src, ['jobs', job, 'steps', i, 'deploy'], step.deploy, source, value.image),
        );
      });
    }
  }
  return errors;
}
