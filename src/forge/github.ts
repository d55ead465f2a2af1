import { createOctokit, type ForgeConnection } from './client.ts';
import {
  postCommitStatus,
  postIssueComment,
  repoPermission,
  toIssueComment,
  withoutRefusedAssignees,
} from './github-compatible.ts';
import type {
  CommitStatus,
  Deployment,
  DeploymentStatus,
  Forge,
  ForgeCapabilities,
  Issue,
  IssueComment,
  NewIssue,
  RepoId,
} from './types.ts';

const CAPABILITIES: ForgeCapabilities = {
  deployments: 'native',
  pagination: 'link',
  labels: 'by-name',
};

/** The GitHub (and GitHub Enterprise Server) adapter. */
export function githubForge(connection: ForgeConnection): Forge {
  const octokit = createOctokit(connection.url, connection.token, connection.resilient);

  return {
    kind: 'github',
    capabilities: CAPABILITIES,

    async setCommitStatus(repo: RepoId, sha: string, status: CommitStatus) {
      await postCommitStatus(octokit, repo, sha, status);
    },

    async createDeployment(repo: RepoId, sha: string, environment: string, description?: string) {
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
        ...repo,
        ref: sha,
        environment,
        description,
        // Slipway decides when to deploy: no merge of the default branch, no wait on other statuses
        // (its own per-job statuses may still be pending and would make GitHub answer 409).
        auto_merge: false,
        required_contexts: [],
        production_environment: environment === 'prod' || environment === 'production',
      });
      if (!('id' in data)) throw new Error(`GitHub did not create a deployment: ${data.message ?? 'no id'}`);
      return { id: String(data.id), sha, environment };
    },

    async setDeploymentStatus(repo: RepoId, deployment: Deployment, status: DeploymentStatus) {
      await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        ...repo,
        deployment_id: Number(deployment.id),
        state: status.state,
        description: status.description?.slice(0, 140),
        log_url: status.logUrl,
        environment_url: status.environmentUrl,
        auto_inactive: true,
      });
    },

    async openIssue(repo: RepoId, issue: NewIssue): Promise<Issue> {
      const { data } = await withoutRefusedAssignees(issue, (assignees) =>
        octokit.request('POST /repos/{owner}/{repo}/issues', {
          ...repo,
          title: issue.title,
          body: issue.body,
          labels: issue.labels ?? [],
          ...(assignees.length ? { assignees } : {}),
        }),
      );
      return { number: data.number, url: data.html_url, state: data.state === 'closed' ? 'closed' : 'open' };
    },

    async listIssueComments(repo: RepoId, issue: number): Promise<IssueComment[]> {
      const comments = await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: issue,
        per_page: 100,
      });
      return comments.map(toIssueComment);
    },

    async commentOnIssue(repo: RepoId, issue: number, body: string) {
      await postIssueComment(octokit, repo, issue, body);
    },

    async closeIssue(repo: RepoId, issue: number) {
      await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...repo,
        issue_number: issue,
        state: 'closed',
        state_reason: 'completed',
      });
    },

    async permission(repo: RepoId, login: string) {
      return repoPermission(octokit, repo, login);
    },
  };
}
