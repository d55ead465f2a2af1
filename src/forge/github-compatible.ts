import type { Octokit } from 'octokit';
import { RequestError } from 'octokit';
import type { CommitStatus, IssueComment, NewIssue, RepoId, RepoPermission } from './types.ts';

/** An issue comment as GitHub and Gitea both return it. */
export interface RestIssueComment {
  id: number;
  html_url: string;
  body?: string | null;
  user: { login: string } | null;
  created_at: string;
  updated_at: string;
}

/** Sets a commit status through the statuses endpoint GitHub and Gitea share (description cut to their 140 chars). */
export async function postCommitStatus(
  octokit: Octokit,
  repo: RepoId,
  sha: string,
  status: CommitStatus,
): Promise<void> {
  await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
    ...repo,
    sha,
    state: status.state,
    context: status.context,
    description: status.description?.slice(0, 140),
    target_url: status.targetUrl,
  });
}

/** Adds a comment to an issue through the endpoint GitHub and Gitea share. */
export async function postIssueComment(
  octokit: Octokit,
  repo: RepoId,
  issue: number,
  body: string,
): Promise<void> {
  await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    ...repo,
    issue_number: issue,
    body,
  });
}

/** A comment of either forge as Slipway's IssueComment. */
export function toIssueComment(c: RestIssueComment): IssueComment {
  return {
    id: c.id,
    login: c.user?.login ?? '',
    body: c.body ?? '',
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    url: c.html_url,
  };
}

/**
 * A login's permission through the endpoint GitHub and Gitea share
 * (`GET /repos/{owner}/{repo}/collaborators/{username}/permission`); an unknown user has none.
 */
export async function repoPermission(octokit: Octokit, repo: RepoId, login: string): Promise<RepoPermission> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
      ...repo,
      username: login,
    });
    const p = (data as { permission?: string }).permission;
    if (p === 'owner' || p === 'admin') return 'admin';
    return p === 'write' || p === 'read' ? p : 'none';
  } catch (err) {
    if (err instanceof RequestError && (err.status === 404 || err.status === 403)) return 'none';
    throw err;
  }
}

/**
 * Creates an issue with its assignees; when the forge refuses them (422: no such user, or one without access),
 * creates it again unassigned, since the issue matters more than who it is assigned to.
 */
export async function withoutRefusedAssignees<T>(
  issue: NewIssue,
  create: (assignees: string[]) => Promise<T>,
): Promise<T> {
  const assignees = issue.assignees ?? [];
  try {
    return await create(assignees);
  } catch (err) {
    if (assignees.length === 0 || !(err instanceof RequestError) || err.status !== 422) throw err;
    return create([]);
  }
}
