import type { SecretSource } from './schema/common.ts';

/** Whether jobs of `environment` may read the secret at all (a limit is not a problem to report). */
export function availableIn(source: SecretSource, environment: string | undefined): boolean {
  if ('by_environment' in source) return environment !== undefined && environment in source.by_environment;
  return !source.environments || (environment !== undefined && source.environments.includes(environment));
}
