import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import {
  describeSecretOrigin,
  type SecretOrigin,
  type SecretSource,
  secretOrigins,
} from '../config/schema/common.ts';
import type { Pipeline } from '../config/schema/pipeline.ts';
import type { Project } from '../config/schema/project.ts';
import { availableIn } from '../config/secret-scope.ts';
import type { OpsRepo } from '../config/types.ts';
import { maskValues } from '../logs/masker.ts';

/** A pipeline's secrets, read at run time from this process's sources; values are held in memory only. */
export interface RunSecrets {
  /**
   * A secret's value for a job of `environment` (undefined: a job without one); throws naming the secret
   * and its source (never a value) when it is not available there or cannot be read.
   */
  get(name: string, environment?: string): string;
  /** Every value that could be read, of every environment, for the masker. */
  values(): string[];
  /** What keeps each secret from being read for jobs of these environments: one line per problem. */
  problems(environments: readonly (string | undefined)[]): string[];
}

/** Where this process reads secrets from: its environment and the operator's secrets directory. */
export interface SecretSources {
  env: NodeJS.ProcessEnv;
  /** `SLIPWAY_SECRETS_DIR`: the only directory `file:` secrets are read from. */
  dir?: string;
}

/** This process's own sources: its environment and `SLIPWAY_SECRETS_DIR`. */
export function processSources(env: NodeJS.ProcessEnv = process.env): SecretSources {
  return { env, dir: env.SLIPWAY_SECRETS_DIR || undefined };
}

/** Reads every secret of a pipeline from this process's sources. */
export function resolveSecrets(pipeline: Pipeline, sources: SecretSources = processSources()): RunSecrets {
  const read = new Map<SecretOrigin, { value?: string; error?: string }>();
  for (const source of Object.values(pipeline.secrets))
    for (const origin of secretOrigins(source)) read.set(origin, readOrigin(origin, sources));

  /** The value of `name` for `environment`, or why there is none. */
  const lookup = (name: string, environment: string | undefined): { value?: string; error?: string } => {
    const source = pipeline.secrets[name];
    if (!source) return { error: `secret ${name} is not declared in the pipeline's secrets` };
    const origin = originFor(source, environment);
    if (typeof origin === 'string') return { error: `secret ${name}: ${origin}` };
    const r = read.get(origin)!;
    return r.error ? { error: `secret ${name} (${describeSecretOrigin(origin)}): ${r.error}` } : r;
  };
  return {
    get(name, environment) {
      const r = lookup(name, environment);
      if (r.value === undefined) throw new Error(r.error);
      return r.value;
    },
    values: () => [...read.values()].flatMap((r) => (r.value === undefined ? [] : [r.value])),
    problems(environments) {
      const out = new Set<string>();
      for (const name of Object.keys(pipeline.secrets))
        for (const e of environments) {
          if (!availableIn(pipeline.secrets[name]!, e)) continue;
          const r = lookup(name, e);
          if (r.error) out.add(r.error);
        }
      return [...out];
    },
  };
}

/** What keeps this process from reading the secrets of these jobs: one line per secret and source. */
export function unresolvedSecrets(
  pipeline: Pipeline,
  jobs: readonly string[],
  sources: SecretSources = processSources(),
): string[] {
  return resolveSecrets(pipeline, sources).problems(jobs.map((j) => pipeline.jobs[j]?.environment));
}

/** The origin a job of `environment` reads, or why it may not read the secret. */
function originFor(source: SecretSource, environment: string | undefined): SecretOrigin | string {
  const where = environment ? `environment ${environment}` : 'a job without an environment';
  if ('by_environment' in source) {
    const origin = environment === undefined ? undefined : source.by_environment[environment];
    return (
      origin ?? `no source for ${where} (by_environment has ${Object.keys(source.by_environment).join(', ')})`
    );
  }
  if (availableIn(source, environment)) return source;
  return `limited to environments ${source.environments!.join(', ')}, not available to ${where}`;
}

/** The value at one origin, or why it cannot be read (the variable is unset, the file is missing...). */
export function readOrigin(origin: SecretOrigin, sources: SecretSources): { value?: string; error?: string } {
  if ('env' in origin) {
    const value = sources.env[origin.env];
    return value ? { value } : { error: `environment variable ${origin.env} is not set for this process` };
  }
  if (!sources.dir)
    return { error: 'file secrets are read from SLIPWAY_SECRETS_DIR, which is not set for this process' };
  try {
    return { value: readSecretFile(sources.dir, origin.file).replace(/\r?\n$/, '') };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Reads `rel` inside `dir`, refusing any way out of it (absolute, `..`, a symlink leading elsewhere). */
export function readSecretFile(dir: string, rel: string): string {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..'))
    throw new Error(`expected a path inside the secrets directory, got ${JSON.stringify(rel)}`);
  let real: string;
  let root: string;
  try {
    root = realpathSync(dir);
    real = realpathSync(join(root, rel));
  } catch (err) {
    throw new Error(`cannot read ${rel} in the secrets directory: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (!real.startsWith(root + sep))
    throw new Error(`${rel} leads outside the secrets directory (through a symlink): refused`);
  return readFileSync(real, 'utf8');
}

/** Names of this process's variables that hold credentials (its own webhook secret, forge token...). */
const HELD_SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE_?KEY/i;

/** Shorter values are too common to mask without masking ordinary output. */
const HELD_SECRET_MIN = 6;

/**
 * Every secret value this process holds besides the pipeline's: credential-named variables of its
 * environment and the Ansible Vault password, so that no log shows them even if a step prints them.
 */
export function heldSecretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env))
    if (v && v.length >= HELD_SECRET_MIN && HELD_SECRET_NAME.test(k)) out.push(v);
  const vaultFile = env.ANSIBLE_VAULT_PASSWORD_FILE;
  if (vaultFile) {
    try {
      const password = readFileSync(vaultFile, 'utf8').trim();
      if (password.length >= HELD_SECRET_MIN) out.push(password);
    } catch {
      // A missing password file fails where a vault value is decrypted, with its own message.
    }
  }
  return out;
}

/** The values of Slipway's own notification credentials (webhook key, SMTP password) this process can read. */
export function notificationSecretValues(
  project: Project,
  sources: SecretSources = processSources(),
): string[] {
  const n = project.notifications;
  const url = typeof n.webhook?.url === 'object' ? n.webhook.url : undefined;
  const origins = [n.webhook?.secret, url, n.email?.smtp.password].filter((o) => o !== undefined);
  return origins.flatMap((o) => readOrigin(o, sources).value ?? []);
}

/**
 * Every value a log or record of work on `repo` must not show, ready for `maskText`: the pipelines'
 * resolved secrets, what this process holds, the notification keys of `project`, and the vault's values.
 */
export function valuesToMask(
  repo: OpsRepo,
  project: Project,
  pipelineSecrets: Iterable<string>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return maskValues([
    ...pipelineSecrets,
    ...heldSecretValues(env),
    ...notificationSecretValues(project, processSources(env)),
    ...vaultValues(repo),
  ]);
}

/** The values decrypted from `!vault` variables of the repository's inventories. */
export function vaultValues(repo: OpsRepo): string[] {
  return [...repo.inventories.values()].flatMap((inv) => inv.vaultValues ?? []);
}
