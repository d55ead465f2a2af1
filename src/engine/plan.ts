import { createHash } from 'node:crypto';
import type { Step } from '../config/schema/steps.ts';
import { stepHandler, stepKind, stepName } from '../steps/registry.ts';
import type { StepContext } from '../steps/types.ts';
import type { PlannedStep } from '../store/types.ts';
import { type StepContextParts, stepContext } from './context.ts';

/** What steps `from..end` of a job would change; kinds without a handler yet are listed with a note. */
export async function planSteps(
  steps: readonly Step[],
  from: number,
  context: (idx: number) => StepContext,
): Promise<PlannedStep[]> {
  const planned: PlannedStep[] = [];
  for (let idx = from; idx < steps.length; idx++) {
    const step = steps[idx]!;
    const kind = stepKind(step);
    const handler = stepHandler(kind);
    const base = { step: idx, kind, name: stepName(step) };
    if (!handler) planned.push({ ...base, changes: [], note: `step kind ${kind} is not implemented yet` });
    else planned.push({ ...base, changes: await handler.plan(context(idx), step) });
  }
  return planned;
}

/** The hash an approval binds to: the commit and every planned change, in order. */
export function planHash(sha: string, plan: readonly PlannedStep[]): string {
  return createHash('sha256').update(JSON.stringify({ sha, plan })).digest('hex');
}

/** Plans of jobs of a pipeline without a run (for `slipway plan`): job -> planned steps. */
export async function planJobs(
  parts: Omit<
    StepContextParts,
    'job' | 'signal' | 'outputs' | 'setOutput' | 'hostStatus' | 'trackProcessGroup'
  >,
  jobs: readonly string[],
): Promise<Map<string, PlannedStep[]>> {
  const plans = new Map<string, PlannedStep[]>();
  const outputs: Record<string, string> = {};
  for (const job of jobs) {
    const steps = parts.pipeline.pipeline.jobs[job]!.steps;
    const context = () =>
      stepContext({
        ...parts,
        job,
        outputs,
        setOutput: (k, v) => {
          outputs[k] = v;
        },
        hostStatus: () => {},
        signal: new AbortController().signal,
      });
    plans.set(job, await planSteps(steps, 0, context));
  }
  return plans;
}
