import type { Project } from '../config/schema/project.ts';
import type { Channel, GateRecord } from '../store/types.ts';
import { type Identity, identityText, namesOf, personOf } from './people.ts';
import { teamMembers } from './teams.ts';

/** Who acts, as established by the channel (OS account, dashboard session, verified forge login). */
export interface Actor {
  /** The login the channel vouches for; it counts only through the people table. */
  identity: Identity;
  channel: Exclude<Channel, 'system'>;
  /** The OS uid of a CLI decision, recorded in the audit beside the account name. */
  uid?: number;
}

/** The commit a run deploys was written by this person, as far as we know them (free text the committer set). */
export interface CommitAuthor {
  login?: string;
  name?: string;
  email?: string;
}

/** One decision to judge against a gate's policy. */
export interface DecisionRequest {
  gate: GateRecord;
  actor: Actor;
  decision: 'approve' | 'reject';
  reason?: string;
  commitAuthor: CommitAuthor;
  /**
   * Who started the run, as its channel saw them (pusher, sender, CLI operator, dashboard user), and, for a
   * re-run, who started each run it repeats.
   */
  triggers?: readonly Identity[];
  /** Teams and people of the trusted policy in force at the time of the decision. */
  policy: Pick<Project, 'teams' | 'people'>;
  now?: number;
}

/** The verdict: accepted (by which person, and whether this opens the gate) or refused, with a reason for the audit. */
export type DecisionVerdict =
  | { accepted: true; person: string; opens: boolean; reason: string }
  | { accepted: false; reason: string };

/** Judges one decision on a gate. Pure and channel-agnostic: the CLI, dashboard and forge all come here. */
export function decide(req: DecisionRequest): DecisionVerdict {
  const { gate, actor, policy } = req;
  const now = req.now ?? Date.now();
  const rules = gate.policy;
  if (gate.status !== 'pending') return refuse(`the gate is ${gate.status}, not waiting for a decision`);
  if (now >= gate.expiresAt) return refuse('the gate has expired');
  const person = personOf(policy.people, actor.identity);
  if (!person) {
    return refuse(
      `${identityText(actor.identity)} is not mapped to a person ` +
        `(add it under people in slipway.yml on the default branch)`,
    );
  }
  if (!isApprover(person, rules.approvers, policy.teams)) {
    return refuse(`${person} is not among the approvers (${rules.approvers.join(', ')})`);
  }
  if (req.decision === 'reject') {
    if (!req.reason?.trim()) return refuse('a rejection needs a reason');
    return { accepted: true, person, opens: false, reason: `rejected by ${person}: ${req.reason}` };
  }
  if (now < gate.opensAt) {
    return refuse(`the gate takes decisions from ${new Date(gate.opensAt).toISOString()} (wait timer)`);
  }
  if (!rules.allowSelfApproval) {
    if (isAuthor(namesOf(policy.people, person), req.commitAuthor)) {
      return refuse(
        `${person} is the author of commit ${gate.sha.slice(0, 12)}; self-approval is not allowed`,
      );
    }
    const started = (req.triggers ?? []).findIndex((t) => personOf(policy.people, t) === person);
    if (started >= 0) {
      const which = started === 0 ? 'this run' : 'the run this one re-runs';
      return refuse(
        `${person} started ${which} (${identityText(req.triggers![started]!)}); self-approval is not allowed`,
      );
    }
  }
  const approvers = new Set(gate.approvals.filter((a) => a.decision === 'approve').map((a) => a.login));
  if (approvers.has(person)) {
    return refuse(`${person} already approved; ${rules.required} distinct approvers are needed`);
  }
  const count = approvers.size + 1;
  return {
    accepted: true,
    person,
    opens: count >= rules.required,
    reason: `approved by ${person} (${count} of ${rules.required})`,
  };
}

/** True when `person` is listed directly or through one of the listed teams. */
export function isApprover(
  person: string,
  approvers: readonly string[],
  teams: Readonly<Record<string, readonly string[]>>,
): boolean {
  return approvers.some((p) => (p.startsWith('@') ? teamMembers(teams, p).includes(person) : p === person));
}

/**
 * Whether the person going by `names` wrote the commit. Matching is deliberately generous (login, name,
 * e-mail, e-mail local part, GitHub's `123+login@users.noreply` form): a false match only refuses an
 * approval, it never grants one.
 */
export function isAuthor(names: ReadonlySet<string>, author: CommitAuthor): boolean {
  const local = author.email?.split('@')[0]?.replace(/^\d+\+/, '');
  return [author.login, author.name, author.email, local].some(
    (v) => v !== undefined && names.has(v.toLowerCase()),
  );
}

function refuse(reason: string): DecisionVerdict {
  return { accepted: false, reason };
}
