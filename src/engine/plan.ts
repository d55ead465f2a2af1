import type { ReleaseLedger } from '../deploy/ledger.ts';
import { TransportPool } from '../remote/pool.ts';
import { type Step, stepHandler, stepKind, stepName } from '../steps/kinds/index.ts';
import type { StepContext } from '../steps/types.ts';
import type { PlannedStep } from '../store/types.ts';
import { type StepContextParts, stepContext } from './context.ts';

/** A plan of the repository is no run: it records nothing, and restores no release or backup. */
const planLedger: ReleaseLedger = {
  record: () => {
    throw new Error('a plan records no release');
  },
  recorded: () => undefined,
  lastRecorded: () => undefined,
  recordBackup: () => {
    throw new Error('a plan takes no backup');
  },
  backupsRemoved: () => {
    throw new Error('a plan removes no backup');
  },
  backup: () => undefined,
};

/** What steps `from..end` of a job would change. */
export async function planSteps(
  steps: readonly Step[],
  from: number,
  context: (idx: number) => StepContext,
): Promise<PlannedStep[]> {
  const planned: PlannedStep[] = [];
  for (let idx = from; idx < steps.length; idx++) {
    const step = steps[idx]!;
    const handler = await stepHandler(step);
    planned.push({
      step: idx,
      kind: stepKind(step),
      name: stepName(step),
      changes: await handler.plan(context(idx), step),
    });
  }
  return planned;
}

/**
 * Plans of jobs of a pipeline without a run (for `slipway plan`): job -> planned steps, in `jobs` order.
 * The jobs are planned at the same time: a plan only reads hosts, and no plan sets an output another reads
 * (outputs come from applies), so a pipeline's plan takes about as long as its slowest job.
 */
export async function planJobs(
  parts: Omit<
    StepContextParts,
    | 'job'
    | 'signal'
    | 'outputs'
    | 'setOutput'
    | 'hostStatus'
    | 'trackProcessGroup'
    | 'transports'
    | 'releases'
    | 'approvers'
  >,
  jobs: readonly string[],
): Promise<Map<string, PlannedStep[]>> {
  const transports = new TransportPool({ root: parts.repo.opsRoot ?? parts.repo.root });
  const planOf = (job: string) => {
    const context = () =>
      stepContext({
        ...parts,
        job,
        outputs: {},
        setOutput: () => {
          throw new Error('a plan sets no output');
        },
        hostStatus: () => {},
        transports,
        // A plan of the repository is no run: it records nothing, and restores no release.
        releases: planLedger,
        approvers: () => [],
        signal: new AbortController().signal,
      });
    return planSteps(parts.pipeline.pipeline.jobs[job]!.steps, 0, context);
  };
  try {
    const settled = await Promise.allSettled(jobs.map(planOf));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return new Map(jobs.map((job, i) => [job, (settled[i] as PromiseFulfilledResult<PlannedStep[]>).value]));
  } finally {
    await transports.closeAll();
  }
}
