import { branchRefusal, type TrustedPolicy } from '../approvals/trusted-policy.ts';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import { maskText } from '../logs/masker.ts';
import type { Store } from '../store/store.ts';
import type { DriftCheckRecord, PlannedJob } from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import { planJobs } from './plan.ts';
import { processSources, resolveSecrets, valuesToMask } from './secrets.ts';

/** A drift check of one pipeline at one commit. */
export interface DriftCheckRequest {
  repo: OpsRepo;
  pipeline: PipelineFile;
  /** The policy in force: a branch kept out of an environment does not plan it either. */
  policy: TrustedPolicy;
  sha: string;
  branch: string;
  /** Where secrets are read from (default: this process's environment and SLIPWAY_SECRETS_DIR). */
  env?: NodeJS.ProcessEnv;
  log(line: string): void;
  now?(): number;
}

/** The jobs of a pipeline by environment (jobs without one change no host and are left out). */
function jobsByEnvironment(p: PipelineFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, job] of Object.entries(p.pipeline.jobs)) {
    if (job.environment) out.set(job.environment, [...(out.get(job.environment) ?? []), name]);
  }
  return out;
}

/**
 * Plans every job of the pipeline, environment by environment, and records what each found: `drift` when the
 * plan holds changes, `clean` when it holds none, `failed` (with why) when it could not be computed. Nothing
 * is applied: correcting drift takes a run, through its gates.
 */
export async function checkDrift(store: Store, req: DriftCheckRequest): Promise<DriftCheckRecord[]> {
  const env = req.env ?? process.env;
  const secrets = resolveSecrets(req.pipeline.pipeline, processSources(env));
  const masked = valuesToMask(req.repo, req.policy.project, secrets.values(), env);
  const mask = (text: string) => maskText(text, masked);
  const records: DriftCheckRecord[] = [];
  for (const [environment, jobs] of jobsByEnvironment(req.pipeline)) {
    const base = {
      pipeline: req.pipeline.pipeline.name,
      environment,
      sha: req.sha,
      branch: req.branch,
      checkedAt: req.now?.() ?? Date.now(),
    };
    const refusal = branchRefusal(req.policy, req.branch, environment);
    if (refusal) {
      records.push(store.drift.record({ ...base, status: 'failed', plan: [], reason: refusal }));
      continue;
    }
    try {
      const plans = await planJobs(
        {
          repo: req.repo,
          pipeline: req.pipeline,
          run: { id: 'drift', sha: req.sha, branch: req.branch, triggeredBy: 'schedule' },
          workdir: req.repo.root,
          secrets,
          log: (line) => req.log(mask(line)),
        },
        jobs,
      );
      const plan: PlannedJob[] = [...plans].map(([job, steps]) => ({ job, steps }));
      const drift = plan.some((j) => j.steps.some((s) => s.changes.length > 0));
      records.push(store.drift.record({ ...base, status: drift ? 'drift' : 'clean', plan }));
    } catch (err) {
      records.push(
        store.drift.record({ ...base, status: 'failed', plan: [], reason: mask(errorMessage(err)) }),
      );
    }
  }
  return records;
}

/** One line per environment: `dev: in sync`, `prod: drift (3 changes)`, `qa: check failed: why`. */
export function driftSummary(records: readonly DriftCheckRecord[]): string {
  return records
    .map((r) =>
      r.status === 'clean'
        ? `${r.environment}: in sync`
        : r.status === 'drift'
          ? `${r.environment}: drift (${r.changes} change${r.changes === 1 ? '' : 's'})`
          : `${r.environment}: check failed: ${r.reason}`,
    )
    .join('; ');
}
