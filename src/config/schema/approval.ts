import { z } from 'zod';
import { duration, principal } from './common.ts';

/** Who may open a gate, how many of them, and for how long it stays open. */
export const approvalPolicy = z.strictObject({
  approvers: z.array(principal).min(1).describe('Logins (alice) and teams (@org/team) who may approve'),
  required: z.number().int().min(1).default(1).describe('How many distinct approvals open the gate'),
  allow_self_approval: z.boolean().default(false).describe("Whether the commit's author may approve"),
  /** Time the gate stays closed after it is reached, before any decision counts. */
  wait: duration.optional(),
  timeout: duration.prefault('24h').describe('The gate expires (run canceled) after this long'),
});
export type ApprovalPolicy = z.infer<typeof approvalPolicy>;
