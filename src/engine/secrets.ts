import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Pipeline } from '../config/schema/pipeline.ts';

/** A pipeline's secrets, read at run time from their sources; values are held in memory only. */
export interface RunSecrets {
  /** A secret's value; throws naming the secret (never a value) when its source cannot be read. */
  get(name: string): string;
  /** Every value that could be read, for the masker. */
  values(): string[];
}

/** Reads every secret of a pipeline from its source (`{env}` or `{file}` relative to the repository). */
export function resolveSecrets(
  pipeline: Pipeline,
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): RunSecrets {
  const values = new Map<string, string>();
  const errors = new Map<string, string>();
  for (const [name, source] of Object.entries(pipeline.secrets)) {
    if ('env' in source) {
      const value = env[source.env];
      if (value === undefined || value === '')
        errors.set(name, `environment variable ${source.env} is not set`);
      else values.set(name, value);
    } else {
      try {
        values.set(name, readFileSync(resolve(repoRoot, source.file), 'utf8').replace(/\r?\n$/, ''));
      } catch (err) {
        errors.set(name, `cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
  }
  return {
    get(name) {
      const value = values.get(name);
      if (value !== undefined) return value;
      throw new Error(
        errors.has(name)
          ? `secret ${name}: ${errors.get(name)}`
          : `secret ${name} is not declared in the pipeline`,
      );
    },
    values: () => [...values.values()],
  };
}
