// A deploy step's `services:` names compose services: a typo would skip the real service's check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { Loaded } from './cross-checks.ts';
import { suggestionHint } from './did-you-mean.ts';
import type { Pipeline } from './schema/pipeline.ts';
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

/** Every deploy step's `services:` key that the step's compose file does not define, at its file:line:col. */
export function composeServiceChecks(root: string, pipelines: readonly Loaded<Pipeline>[]): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const { src, value } of pipelines) {
    for (const [job, spec] of Object.entries(value.jobs)) {
      spec.steps.forEach((step, i) => {
        if (!('deploy' in step) || Object.keys(step.deploy.services).length === 0) return;
        const source = readOrUndefined(join(root, step.deploy.compose));
        const services = source === undefined ? undefined : composeServiceNames(source);
        if (!services) return;
        for (const { name, hint } of unknownServices(Object.keys(step.deploy.services), services)) {
          const path = ['jobs', job, 'steps', i, 'deploy', 'services', name];
          errors.push({
            ...positionOf(src, path, 'key'),
            key: dotted(path),
            message: `${step.deploy.compose} has no service "${name}"`,
            hint,
          });
        }
      });
    }
  }
  return errors;
}
