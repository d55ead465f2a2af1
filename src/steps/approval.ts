import type { Step } from '../config/schema/steps.ts';
import type { StepHandler } from './types.ts';

type ApprovalStep = Extract<Step, { approval: unknown }>;

/**
 * The `approval` step kind: a gate in the middle of a job. The engine holds the job at the gate (same policy
 * code as a job-level `approval:`) before it applies this step, so by then there is nothing left to do.
 */
export const approvalHandler: StepHandler<ApprovalStep> = {
  kind: 'approval',
  async plan() {
    return [];
  },
  async apply() {
    return { changed: false };
  },
};
