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

/**
 * Picks the release to go back to from an environment's ledger (newest first): the one named by
 * `wanted` (release id or digest, also abbreviated), else the newest whose digest differs from the live one.
 */
export function chooseRelease(
  ledger: readonly ReleaseRecord[],
  env: string,
  app: string | undefined,
  wanted: string | undefined,
): { app: string; release: ReleaseRecord; currentDigest: string } {
  const apps = [...new Set(ledger.map((r) => r.app))];
  const chosenApp = app ?? (apps.length === 1 ? apps[0] : undefined);
  if (!chosenApp) {
    throw new Error(
      apps.length === 0
        ? `no releases recorded in ${env}`
        : `${env} has several apps (${apps.join(', ')}): pass --app`,
    );
  }
  const mine = ledger.filter((r) => r.app === chosenApp);
  if (mine.length === 0) throw new Error(`no releases of ${chosenApp} recorded in ${env}`);
  const currentDigest = mine[0]!.digest;
  let release: ReleaseRecord | undefined;
  if (wanted) {
    const w = wanted.replace(/^sha256:/, '');
    release = mine.find((r) => r.releaseId === wanted || r.digest.replace(/^sha256:/, '').startsWith(w));
    if (!release)
      throw new Error(`no release ${wanted} of ${chosenApp} in ${env} (see: slipway releases ${env})`);
  } else {
    release = mine.find((r) => r.digest !== currentDigest);
    if (!release) throw new Error(`${chosenApp} has no earlier release in ${env} to roll back to`);
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
