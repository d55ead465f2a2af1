import { type Identity, identityText, personOf, personsNamed } from './people.ts';
import type { TrustedPolicy } from './trusted-policy.ts';

/**
 * Why `who` may not start a run by hand in `env` under the policy in force, or undefined when they may:
 * `environments.<env>.run_by` names the persons and teams who may; without it anyone reaching the CLI may,
 * and on the dashboard any person of `people` (a login nobody maps to starts nothing).
 */
export function startRefusal(policy: TrustedPolicy, who: Identity, env: string): string | undefined {
  const { project } = policy;
  const person = personOf(project.people, who);
  const runBy = project.environments[env]?.run_by;
  const at = `slipway.yml on ${policy.ref} (${policy.sha.slice(0, 12)})`;
  if (!runBy) {
    if (person || who.channel !== 'dashboard') return undefined;
    return `${identityText(who)} is no person of people in ${at}, so it may not start runs`;
  }
  if (person && personsNamed(project, runBy).includes(person)) return undefined;
  const name = person ? `${person} (${identityText(who)})` : identityText(who);
  return `${name} may not start runs in ${env}: ${at} lets ${runBy.join(', ')}`;
}
