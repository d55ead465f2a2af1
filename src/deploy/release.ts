import { createHash } from 'node:crypto';
import type { Change } from '../core/changes.ts';

/** One release of an app on one host: the marker file on the host and the ledger row in the store. */
export interface ReleaseRecord {
  app: string;
  release: string;
  environment: string;
  host: string;
  /** Image repository, without tag or digest. */
  image: string;
  digest: string;
  configHash: string;
  /** Compose project the release's containers run under. */
  project: string;
  /** Host port of each service that has one. */
  ports: Record<string, number>;
  runId: string;
  sha: string;
  triggeredBy: string;
  approvedBy?: string[];
  /** The release a rollback restored (this one runs its image, compose file and configuration). */
  restores?: string;
  /** ISO time the release went live. */
  deployedAt: string;
}

/** Parses a release marker read from a host; undefined when the text is not one. */
export function parseReleaseMarker(text: string): ReleaseRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<ReleaseRecord>;
    if (typeof r.release !== 'string' || typeof r.digest !== 'string' || typeof r.project !== 'string')
      return undefined;
    return { ports: {}, ...r } as ReleaseRecord;
  } catch {
    return undefined;
  }
}

/** What defines a release's behaviour besides the image, hashed so a redeploy of the same thing changes nothing. */
export interface ConfigInputs {
  compose: string;
  env: Readonly<Record<string, string>>;
  secrets: Readonly<Record<string, string>>;
  routes: readonly { domain: string; path: string; service?: string }[];
}

/**
 * A hash of the release's configuration. Secret values enter only through their own sha256, so the
 * hash (stored and shown) says that a secret changed without carrying it.
 */
export function configHash(inputs: ConfigInputs): string {
  const sorted = (o: Readonly<Record<string, string>>) =>
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]);
  const secrets = Object.keys(inputs.secrets)
    .sort()
    .map((k) => [k, createHash('sha256').update(inputs.secrets[k]!).digest('hex')]);
  const canonical = JSON.stringify({
    compose: inputs.compose,
    env: sorted(inputs.env),
    secrets,
    routes: inputs.routes.map((r) => [r.domain, r.path, r.service ?? null]),
  });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** The first 12 hex digits of a digest or hash, as plans show them. */
export const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** The change deploying `digest` with `hash` makes on a host whose live release is `current` (none: nothing to do). */
export function releaseChange(
  host: string,
  app: string,
  current: ReleaseRecord | undefined,
  desired: { image: string; digest: string; configHash: string },
): Change | undefined {
  if (current && current.digest === desired.digest && current.configHash === desired.configHash)
    return undefined;
  const detail: string[] = [];
  if (!current) detail.push(`image ${desired.image}@${desired.digest} (first release on this host)`);
  else {
    if (current.digest !== desired.digest) {
      detail.push(
        `image ${short(current.digest)} -> ${short(desired.digest)} (${desired.image}@${desired.digest})`,
      );
    }
    if (current.configHash !== desired.configHash) {
      detail.push(`config ${short(current.configHash)} -> ${short(desired.configHash)}`);
    }
    detail.push(`replaces release ${current.release}`);
  }
  return {
    host,
    action: current ? 'change' : 'add',
    subject: `app ${app} release ${desired.image}@${short(desired.digest)}`,
    detail: detail.join('\n'),
  };
}
