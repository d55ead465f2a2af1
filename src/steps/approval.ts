import type { ApprovalStep } from './kinds/approval.ts';
import type { StepHandler } from './types.ts';

/**
 * The `approval` step kind: a gate in the middle of a job. The engine holds the job at the gate (same policy
 * code as a job-level `approval:`) before it applies this step, so by then there is nothing left to do.
 */
export const approvalHandler: StepHandler<ApprovalStep> = {
  async plan() {
    return [];
  },
  async apply() {
    return { changed: false };
  },
};
