import type { ApprovalPolicy } from '../../config/schema/approval.ts';
import { formatDuration } from '../../util/format.ts';

/** Who may approve a gate and how, in one line for `slipway describe`: `by alice, @org/ops (1 required, ...)`. */
export function gateLine(policy: ApprovalPolicy): string {
  const self = policy.allow_self_approval ? 'self-approval allowed' : 'no self-approval';
  return `by ${policy.approvers.join(', ')} (${policy.required} required, timeout ${formatDuration(policy.timeout)}, ${self})`;
}
