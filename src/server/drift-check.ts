import type { PolicySource } from '../approvals/policy-source.ts';
import { checkDrift, driftSummary } from '../engine/drift-check.ts';
import type { Store } from '../store/store.ts';
import type { DriftCheckRecord } from '../store/types.ts';
import type { SchedulePayload } from './scheduler.ts';
import { firstErrors, type TriggerIntake } from './trigger-intake.ts';

/** What a scheduled drift check needs. */
export interface DriftCheckerOptions {
  store: Store;
  /** Loads a commit's tree under the trusted slipway.yml (the intake's cache). */
  intake: Pick<TriggerIntake, 'load'>;
  policy: PolicySource;
  log(line: string): void;
  /** Told of each environment's check once recorded (notifications, forge statuses, the dashboard's badge). */
  checked?(check: DriftCheckRecord): Promise<void> | void;
}

/**
 * Runs a due `mode: plan` schedule entry: the branch head's pipeline, under the policy in force, planned
 * per environment and recorded (`engine/drift-check.ts`). Returns the delivery's outcome.
 */
export class DriftChecker {
  readonly #o: DriftCheckerOptions;

  constructor(options: DriftCheckerOptions) {
    this.#o = options;
  }

  async check(
    p: SchedulePayload,
    label: string,
  ): Promise<{ status: 'processed' | 'ignored'; outcome: string }> {
    const o = this.#o;
    const ignore = (outcome: string) => {
      o.log(`${label}: ignored: ${outcome}`);
      return { status: 'ignored' as const, outcome };
    };
    const policy = await o.policy.current();
    const loaded = await o.intake.load(`refs/heads/${p.branch}`, p.sha, policy);
    const at = p.sha.slice(0, 12);
    if (!loaded.ok) return ignore(`the ops repository at ${at} is invalid: ${firstErrors(loaded.errors)}`);
    const file = loaded.repo.pipelines.find((f) => f.pipeline.name === p.pipeline);
    if (!file) return ignore(`pipeline ${p.pipeline} is not in the repository at ${at}`);
    const entry = file.pipeline.on.schedule?.[p.index];
    if (entry?.mode !== 'plan' || entry.branch !== p.branch)
      return ignore(`pipeline ${p.pipeline} no longer plans ${p.branch} on schedule entry ${p.index}`);
    const records = await checkDrift(o.store, {
      repo: loaded.repo,
      pipeline: file,
      policy,
      sha: p.sha,
      branch: p.branch,
      log: (line) => o.log(`${label}: ${line}`),
    });
    for (const r of records) {
      try {
        await o.checked?.(r);
      } catch (err) {
        o.log(`${label}: reporting ${r.environment}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const outcome = `drift check of ${p.pipeline} at ${at}: ${driftSummary(records) || 'no job has an environment'}`;
    o.log(`${label}: ${outcome}`);
    return { status: 'processed', outcome };
  }
}
