// Where a release command runs: once per environment, or on each host whose own stateful services hold
// the data (each copy needs it). Pure, so the plan and the rollout read the same answer.

/** What decides where a release command runs. */
export interface ReleaseCommandRule {
  command?: readonly string[];
  /** A rollback restores a release whose changes were made when it first shipped: it runs nothing. */
  rollback: boolean;
  /** The app has stateful services of its own (one copy of the data per host). */
  perHost: boolean;
}

/** The hosts, of those that need the release (in rollout order), that run the release command. */
export function releaseCommandHosts(rule: ReleaseCommandRule, todo: readonly string[]): Set<string> {
  if (!rule.command || rule.rollback || todo.length === 0) return new Set();
  return new Set(rule.perHost ? todo : todo.slice(0, 1));
}
