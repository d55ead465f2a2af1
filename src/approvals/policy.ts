import type { Channel, GateRecord } from '../store/types.ts';

/** Who acts, as established by the channel (OS account, dashboard token, verified forge login). */
export interface Actor {
  /** The login the channel vouches for; undefined when the identity maps to no login. */
  login?: string;
  /** What the channel saw before mapping (e.g. the OS account), for the audit trail. */
  account?: string;
  channel: Exclude<Channel, 'system'>;
}

/** The commit a run deploys was written by this person, as far as we know them. */
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
  /** Members of each team named among the gate's approvers. */
  teams: Readonly<Record<string, readonly string[]>>;
  now?: number;
}

/** The verdict: accepted (and whether this opens the gate) or refused, always with a reason for the audit. */
export type DecisionVerdict =
  | { accepted: true; opens: boolean; reason: string }
  | { accepted: false; reason: string };

/** Judges one decision on a gate. Pure and channel-agnostic: the CLI, dashboard and forge all come here. */
export function decide(req: DecisionRequest): DecisionVerdict {
  const { gate, actor } = req;
  const now = req.now ?? Date.now();
  const policy = gate.policy;
  if (gate.status !== 'pending') return refuse(`the gate is ${gate.status}, not waiting for a decision`);
  if (now >= gate.expiresAt) return refuse('the gate has expired');
  if (!actor.login) {
    return refuse(
      actor.channel === 'cli'
        ? `OS account ${actor.account ?? '?'} is not mapped to a login (add it to operators in slipway.yml)`
        : 'the identity is not mapped to a login',
    );
  }
  const login = actor.login;
  if (!isApprover(login, policy.approvers, req.teams)) {
    return refuse(`${login} is not among the approvers (${policy.approvers.join(', ')})`);
  }
  if (req.decision === 'reject') {
    if (!req.reason?.trim()) return refuse('a rejection needs a reason');
    return { accepted: true, opens: false, reason: `rejected by ${login}: ${req.reason}` };
  }
  if (now < gate.opensAt) {
    return refuse(`the gate takes decisions from ${new Date(gate.opensAt).toISOString()} (wait timer)`);
  }
  if (!policy.allowSelfApproval && isAuthor(login, req.commitAuthor)) {
    return refuse(`${login} is the author of commit ${gate.sha.slice(0, 12)}; self-approval is not allowed`);
  }
  const approvers = new Set(
    gate.approvals.filter((a) => a.decision === 'approve').map((a) => a.login.toLowerCase()),
  );
  if (approvers.has(login.toLowerCase())) {
    return refuse(`${login} already approved; ${policy.required} distinct approvers are needed`);
  }
  const count = approvers.size + 1;
  return {
    accepted: true,
    opens: count >= policy.required,
    reason: `approved by ${login} (${count} of ${policy.required})`,
  };
}

/** True when `login` is listed directly or through one of the listed teams. */
export function isApprover(
  login: string,
  approvers: readonly string[],
  teams: Readonly<Record<string, readonly string[]>>,
): boolean {
  const l = login.toLowerCase();
  return approvers.some((p) =>
    p.startsWith('@') ? (teams[p] ?? []).some((m) => m.toLowerCase() === l) : p.toLowerCase() === l,
  );
}

/**
 * Whether `login` wrote the commit. Matching is deliberately generous (login, name, e-mail, e-mail local part,
 * GitHub's `123+login@users.noreply` form): a false match only refuses an approval, it never grants one.
 */
export function isAuthor(login: string, author: CommitAuthor): boolean {
  const l = login.toLowerCase();
  const local = author.email?.split('@')[0]?.replace(/^\d+\+/, '');
  return [author.login, author.name, author.email, local].some(
    (v) => v !== undefined && v.toLowerCase() === l,
  );
}

function refuse(reason: string): DecisionVerdict {
  return { accepted: false, reason };
}
