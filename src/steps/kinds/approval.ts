import { approvalPolicy } from '../../config/schema/approval.ts';
import { defineStepKind, type StepOf } from '../kind.ts';
import { gateLine } from './gate-line.ts';

/** `approval`: a gate in the middle of a job, with the same policy as a job-level `approval`. */
export const approvalKind = defineStepKind({
  key: 'approval',
  summary: 'A gate in the middle of a job, with the same policy as a job-level approval',
  options: approvalPolicy,
  hosts: 'runner',
  files: () => ({}),
  describe: gateLine,
  driftCheck: true,
  handler: () => import('../approval.ts').then((m) => m.approvalHandler),
});
export type ApprovalStep = StepOf<'approval', typeof approvalPolicy>;
