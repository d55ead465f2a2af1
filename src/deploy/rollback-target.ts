import type { PipelineFile } from '../config/types.ts';
import type { ReleaseRecord } from '../store/types.ts';

/** What a rollback redeploys, and with which job of which pipeline. */
export interface RollbackTarget {
  app: string;
  release: ReleaseRecord;
  /** The digest live now (the newest release of the app). */
  currentDigest: string;
  pipeline: PipelineFile;
  job: string;
}

/** The release a rollback restores, of which app, and the digest live now. */
export type ChosenRelease = Pick<RollbackTarget, 'app' | 'release' | 'currentDigest'>;

/** Thrown when there is nothing a rollback could restore: a failed request, not a configuration error. */
export class NothingToRollBack extends Error {
  override name = 'NothingToRollBack';
}

/**
 * Picks the release to go back to from an environment's ledger (newest first): the one named by
 * `wanted` (release id or digest, also abbreviated), else the newest whose digest differs from the live
 * one. It must have its compose file and configuration recorded, to be restored exactly.
 */
export function chooseRelease(
  ledger: readonly ReleaseRecord[],
  env: string,
  app: string | undefined,
  wanted: string | undefined,
): ChosenRelease {
  const apps = [...new Set(ledger.map((r) => r.app))];
  const chosenApp = app ?? (apps.length === 1 ? apps[0] : undefined);
  if (!chosenApp) {
    if (apps.length === 0)
      throw new NothingToRollBack(`nothing to roll back: no release was ever recorded in ${env}`);
    throw new Error(`${env} has several apps (${apps.join(', ')}): pass --app`);
  }
  const mine = ledger.filter((r) => r.app === chosenApp);
  if (mine.length === 0)
    throw new NothingToRollBack(
      `nothing to roll back: no release of ${chosenApp} was ever recorded in ${env}`,
    );
  const currentDigest = mine[0]!.digest;
  let release: ReleaseRecord | undefined;
  if (wanted) {
    const w = wanted.replace(/^sha256:/, '');
    release = mine.find((r) => r.releaseId === wanted || r.digest.replace(/^sha256:/, '').startsWith(w));
    if (!release)
      throw new Error(`no release ${wanted} of ${chosenApp} in ${env} (see: slipway releases ${env})`);
  } else {
    release = mine.find((r) => r.digest !== currentDigest);
    if (!release) {
      throw new NothingToRollBack(
        `nothing to roll back: ${chosenApp} has no earlier release in ${env} than the live image ` +
          `${currentDigest.slice(0, 19)} (see: slipway releases ${env})`,
      );
    }
  }
  if (!release.config) {
    throw new NothingToRollBack(
      `release ${release.releaseId} of ${chosenApp} was recorded before Slipway kept each release's compose file ` +
        `and configuration, so it cannot be restored exactly: name a later release (slipway releases ${env}) ` +
        'or deploy its commit again',
    );
  }
  return { app: chosenApp, release, currentDigest };
}

/** The one job that deploys `app` to `env` (its deploy step names the app, or the pipeline is named after it). */
export function findDeployJob(
  pipelines: readonly PipelineFile[],
  env: string,
  app: string,
): { pipeline: PipelineFile; job: string } {
  const found: { pipeline: PipelineFile; job: string }[] = [];
  for (const p of pipelines) {
    for (const [name, job] of Object.entries(p.pipeline.jobs)) {
      if (job.environment !== env) continue;
      if (job.steps.some((s) => 'deploy' in s && (s.deploy.app ?? p.pipeline.name) === app))
        found.push({ pipeline: p, job: name });
    }
  }
  if (found.length !== 1) {
    throw new Error(
      found.length === 0
        ? `no pipeline job deploys ${app} to ${env}`
        : `several jobs deploy ${app} to ${env}: ${found.map((f) => `${f.pipeline.file}#${f.job}`).join(', ')}`,
    );
  }
  return found[0]!;
}
