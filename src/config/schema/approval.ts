import { z } from 'zod';
import { duration, principal } from './common.ts';

/** Who may open a gate, how many of them, and for how long it stays open. */
export const approvalPolicy = z.strictObject({
  approvers: z.array(principal).min(1),
  required: z.number().int().min(1).default(1),
  allow_self_approval: z.boolean().default(false),
  /** Time the gate stays closed after it is reached, before any decision counts. */
  wait: duration.optional(),
  timeout: duration.prefault('24h'),
});
export type ApprovalPolicy = z.infer<typeof approvalPolicy>;
