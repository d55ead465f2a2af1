import { identityText } from '../approvals/people.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import { submitDecision } from '../approvals/service.ts';
import { parseCommentCommand } from '../forge/comment-command.ts';
import type { Forge, RepoId } from '../forge/types.ts';
import type { ForgeLinks } from '../store/forge-links.ts';
import type { Store } from '../store/store.ts';
import type { EventHandler } from './delivery-processor.ts';

/** What the forge approval channel needs. */
export interface ForgeCommentsOptions {
  store: Store;
  links: ForgeLinks;
  forge: Forge;
  repo: RepoId;
  /** The policy in force (the default branch): people and teams for every decision. */
  policy: PolicySource;
  /** Called after an accepted decision (the worker resumes the run at once). */
  decided?(): void;
  log(line: string): void;
}

interface CommentPayload {
  action?: string;
  issue?: { number?: number };
  comment?: { id?: number; body?: string; user?: { login?: string } | null };
  repository?: { full_name?: string };
}

/** A comment as the channel judges it, from a webhook payload or from polling the issue. */
export interface IssueCommentEvent {
  issue: number;
  commentId: number;
  login: string;
  body: string;
  /** `created` counts; `edited` and `deleted` are refused. Polling reports an edited comment as `edited`. */
  action: string;
}

/** Judges one comment; returns its outcome for the delivery record. */
export type CommentDecider = (
  c: IssueCommentEvent,
  label: string,
) => Promise<{ status: 'processed' | 'ignored'; outcome: string }>;

/**
 * The forge approval channel: `/approve` or `/reject <reason>` commented on a gate's issue is a decision
 * by the person the comment's verified login maps to, judged by the same policy code as the CLI and
 * dashboard. The login must also have write permission on the repository (asked of the forge): on a public
 * repository anyone can comment. Only newly created comments count: an edit or deletion is refused and
 * audited. Each comment is judged once, whichever way (webhook or polling) it arrives first. The verdict
 * is answered on the issue; the reporter closes it when the gate is decided.
 */
export function commentDecider(o: ForgeCommentsOptions): CommentDecider {
  const full = `${o.repo.owner}/${o.repo.repo}`;
  return async (c, label) => {
    const link = o.links.gateOfIssue(full, c.issue);
    if (!link) return { status: 'ignored', outcome: `issue #${c.issue} is not an approval issue` };
    const command = parseCommentCommand(c.body);
    if (!command) return { status: 'ignored', outcome: `comment on #${c.issue} holds no command` };
    const gate = o.store.gates.get(link.gateId);
    if (!gate) return { status: 'ignored', outcome: `the gate of issue #${c.issue} is gone` };
    // An edit or deletion of an already judged comment is a separate event and is refused below.
    if (c.action === 'created' && !o.links.markCommentJudged(c.commentId)) {
      return { status: 'ignored', outcome: `comment ${c.commentId} was already judged` };
    }

    const decision = command.kind === 'approve' ? 'approve' : 'reject';
    const answer = async (text: string) => o.forge.commentOnIssue(o.repo, c.issue, `@${c.login}: ${text}.`);
    const refuse = async (reason: string) => {
      o.store.gates.audit({
        runId: gate.runId,
        gateId: gate.id,
        job: gate.job,
        actor: identityText({ channel: o.forge.kind, login: c.login }),
        channel: 'forge',
        action: decision,
        outcome: 'refused',
        reason,
      });
      o.log(`${label}: ${c.login} ${decision} on #${c.issue} refused: ${reason}`);
      await answer(`not counted: ${reason}`);
      return { status: 'processed' as const, outcome: `refused: ${reason}` };
    };
    if (c.action !== 'created') return refuse(`the comment was ${c.action}; only new comments count`);
    if (gate.status !== 'pending') return refuse(`this issue's gate is ${gate.status}`);
    const permission = await o.forge.permission(o.repo, c.login);
    if (permission !== 'write' && permission !== 'admin') {
      return refuse(`${c.login} has ${permission} permission on ${full}; deciding needs write`);
    }

    const outcome = await submitDecision(o.store, {
      runId: gate.runId,
      job: gate.job,
      actor: { identity: { channel: o.forge.kind, login: c.login }, channel: 'forge' },
      decision,
      reason:
        command.kind === 'reject' ? command.reason : command.kind === 'approve' ? command.note : undefined,
      policy: o.policy,
    });
    const verdict = outcome.accepted ? 'accepted' : 'refused';
    o.log(`${label}: ${c.login} ${decision} on #${c.issue}: ${verdict}: ${outcome.reason}`);
    await answer(outcome.accepted ? outcome.reason : `not counted: ${outcome.reason}`);
    if (outcome.accepted) o.decided?.();
    return { status: 'processed', outcome: `${verdict}: ${outcome.reason}` };
  };
}

/** The channel's webhook front: an `issue_comment` delivery of the configured repository. */
export function forgeCommentHandler(o: ForgeCommentsOptions, decide = commentDecider(o)): EventHandler {
  const full = `${o.repo.owner}/${o.repo.repo}`;
  return async (_forge, body, label) => {
    const p = body as CommentPayload;
    const number = p.issue?.number;
    const login = p.comment?.user?.login;
    const commentId = p.comment?.id;
    if (p.repository?.full_name?.toLowerCase() !== full.toLowerCase() || number === undefined || !login) {
      return { status: 'ignored', outcome: `not a comment on an issue of ${full}` };
    }
    if (commentId === undefined) return { status: 'ignored', outcome: 'the payload has no comment id' };
    return decide(
      { issue: number, commentId, login, body: p.comment?.body ?? '', action: p.action ?? 'unknown' },
      label,
    );
  };
}
