import { submitDecision } from '../approvals/service.ts';
import type { TeamResolver } from '../approvals/teams.ts';
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

/**
 * The forge approval channel: `/approve` or `/reject <reason>` commented on a gate's issue is a decision
 * by the comment's verified login, judged by the same policy code as the CLI and dashboard (team
 * membership asked of the forge). Only newly created comments count: an edit or deletion is refused and
 * audited. The verdict is answered on the issue; the reporter closes it when the gate is decided.
 */
export function forgeCommentHandler(o: ForgeCommentsOptions): EventHandler {
  const full = `${o.repo.owner}/${o.repo.repo}`;
  return async (_forge, body, label) => {
    const p = body as CommentPayload;
    const number = p.issue?.number;
    const login = p.comment?.user?.login;
    if (p.repository?.full_name?.toLowerCase() !== full.toLowerCase() || number === undefined || !login) {
      return { status: 'ignored', outcome: `not a comment on an issue of ${full}` };
    }
    const link = o.links.gateOfIssue(full, number);
    if (!link) return { status: 'ignored', outcome: `issue #${number} is not an approval issue` };
    const command = parseCommentCommand(p.comment?.body ?? '');
    if (!command) return { status: 'ignored', outcome: `comment on #${number} holds no command` };

    const gate = o.store.gates.get(link.gateId);
    if (!gate) return { status: 'ignored', outcome: `the gate of issue #${number} is gone` };
    const decision = command.kind === 'approve' ? 'approve' : 'reject';
    const refuse = async (reason: string) => {
      o.store.gates.audit({
        runId: gate.runId,
        gateId: gate.id,
        job: gate.job,
        actor: login,
        channel: 'forge',
        action: decision,
        outcome: 'refused',
        reason,
      });
      o.log(`${label}: ${login} ${decision} on #${number} refused: ${reason}`);
      await o.forge.commentOnIssue(o.repo, number, `@${login}: not counted: ${reason}.`);
      return { status: 'processed' as const, outcome: `refused: ${reason}` };
    };
    if (p.action !== 'created') return refuse(`the comment was ${p.action}; only new comments count`);
    if (gate.status !== 'pending') return refuse(`this issue's gate is ${gate.status}`);

    const outcome = await submitDecision(o.store, {
      runId: gate.runId,
      job: gate.job,
      actor: { login, channel: 'forge' },
      decision,
      reason:
        command.kind === 'reject' ? command.reason : command.kind === 'approve' ? command.note : undefined,
      teams: forgeTeams(o.forge, login),
    });
    o.log(
      `${label}: ${login} ${decision} on #${number}: ${outcome.accepted ? 'accepted' : 'refused'}: ${outcome.reason}`,
    );
    await o.forge.commentOnIssue(
      o.repo,
      number,
      outcome.accepted ? `@${login}: ${outcome.reason}.` : `@${login}: not counted: ${outcome.reason}.`,
    );
    if (outcome.accepted) o.decided?.();
    return {
      status: 'processed',
      outcome: `${outcome.accepted ? 'accepted' : 'refused'}: ${outcome.reason}`,
    };
  };
}

/**
 * Team members as far as this decision needs them: the forge is asked whether `login` is in the team
 * (one membership call instead of listing every member).
 */
export function forgeTeams(forge: Forge, login: string): TeamResolver {
  return {
    async members(team) {
      const m = team.match(/^@([^/]+)\/(.+)$/);
      if (!m) return [];
      return (await forge.isTeamMember(m[1]!, m[2]!, login)) ? [login] : [];
    },
  };
}
