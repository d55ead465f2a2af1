import { type Identity, starterRefusal } from '../approvals/people.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import { loadRepo } from '../config/load-repo.ts';
import type { OpsRepo } from '../config/types.ts';
import { errorMessage } from '../util/errors.ts';

/** Who starts a run from the dashboard, under which policy in force. */
export interface DashboardStarter {
  policy: TrustedPolicy;
  identity: Identity;
}

/**
 * What every run started from the dashboard (a rollback, a re-run) is checked against first: the policy in
 * force can be read and the signed-in login is a person's under it. The reason for people otherwise.
 */
export async function dashboardStarter(
  source: PolicySource,
  login: string,
): Promise<DashboardStarter | { reason: string }> {
  let policy: TrustedPolicy;
  try {
    policy = await source.current();
  } catch (err) {
    return { reason: errorMessage(err) };
  }
  const identity: Identity = { channel: 'dashboard', login };
  const refusal = starterRefusal(policy.project.people, identity);
  return refusal ? { reason: refusal } : { policy, identity };
}

/** The checkout at `root` under the policy in force's slipway.yml, or why it cannot be run from. */
export async function checkoutUnder(
  policy: TrustedPolicy,
  root: string,
  inventoriesRoot: string | undefined,
): Promise<OpsRepo | { reason: string }> {
  const loaded = await loadRepo(root, { inventoriesRoot, projectFrom: policy.root });
  return loaded.ok
    ? loaded.repo
    : { reason: `the ops repository has ${loaded.errors.length} errors (slipway validate)` };
}
