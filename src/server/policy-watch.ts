import type { PolicySource } from '../approvals/policy-source.ts';
import { errorMessage } from '../util/errors.ts';
import { periodic } from './periodic.ts';

/** How often `serve` asks the default branch for its policy when nothing else does. */
export const POLICY_CHECK_MS = 10_000;

/**
 * Asks for the policy in force at start-up and on a timer, so the default branch's policy is put in force
 * (first use) before anything is decided, and a weakening change of it opens its gate within one interval
 * of the push even when no run or decision asks.
 */
export function policyWatch(policy: PolicySource, intervalMs: number, log: (line: string) => void) {
  let lastError = '';
  return periodic('policy watch', intervalMs, () =>
    policy.current().then(
      () => {
        lastError = '';
      },
      (err: unknown) => {
        const text = errorMessage(err);
        // Said once per distinct error, not every interval.
        if (text !== lastError) log(`the policy in force cannot be read: ${text}`);
        lastError = text;
      },
    ),
  );
}
