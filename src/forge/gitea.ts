import type { Octokit } from 'octokit';
import { createOctokit, type ForgeConnection } from './client.ts';
import {
  postCommitStatus,
  postIssueComment,
  type RestIssueComment,
  repoPermission,
  toIssueComment,
  withoutRefusedAssignees,
} from './github-compatible.ts';
import type {
  CommitState,
  CommitStatus,
  Deployment,
  DeploymentState,
  DeploymentStatus,
  Forge,
  ForgeCapabilities,
  Issue,
  IssueComment,
  NewIssue,
  RepoId,
} from './types.ts';

const CAPABILITIES: ForgeCapabilities = {
  deployments: 'commit-status',
  pagination: 'page-limit',
  labels: 'by-id',
};

const PAGE_LIMIT = 50;
const NEW_LABEL_COLOR = '#0e8a16';

/** Gitea has no deployment states: each maps to a commit status state. */
const DEPLOY_STATE: Record<DeploymentState, CommitState> = {
  queued: 'pending',
  in_progress: 'pending',
  success: 'success',
  failure: 'failure',
  error: 'error',
};

interface GiteaLabel {
  id: number;
  name: string;
}
interface GiteaIssue {
  number: number;
  html_url: string;
  state: string;
}

/** The status context that stands for a deployment to `environment` on forges without a Deployments API. */
export function deployContext(environment: string): string {
  return `deploy/${environment}`;
}

/** The Gitea / Forgejo adapter: Gitea's REST API under `<url>/api/v1`, driven through Octokit. */
export function giteaForge(connection: ForgeConnection): Forge {
  const octokit = createOctokit(
    `${connection.url.replace(/\/+$/, '')}/api/v1`,
    connection.token,
    connection.resilient,
  );
  const labelIds = new Map<string, number>();

  async function setCommitStatus(repo: RepoId, sha: string, status: CommitStatus) {
    await postCommitStatus(octokit, repo, sha, status);
  }

  /** Label ids for names: one listing for all unknown names, then a create for each still missing. */
  async function labelIdsFor(repo: RepoId, names: string[]): Promise<number[]> {
    const key = (name: string) => `${repo.owner}/${repo.repo}\0${name}`;
    if (names.some((n) => !labelIds.has(key(n)))) {
      for (const l of await pageAll<GiteaLabel>(
        octokit,
        `/repos/${enc(repo.owner)}/${enc(repo.repo)}/labels`,
      )) {
        labelIds.set(key(l.name), l.id);
      }
    }
    const ids: number[] = [];
    for (const name of names) {
      let id = labelIds.get(key(name));
      if (id === undefined) {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/labels', {
          ...repo,
          name,
          color: NEW_LABEL_COLOR,
        });
        id = Number(data.id);
        labelIds.set(key(name), id);
      }
      ids.push(id);
    }
    return ids;
  }

  return {
    kind: 'gitea',
    capabilities: CAPABILITIES,
    setCommitStatus,

    async createDeployment(_repo: RepoId, sha: string, environment: string) {
      // Nothing to create: the deployment lives in the statuses of context deploy/<env> on the commit.
      return { id: deployContext(environment), sha, environment };
    },

    async setDeploymentStatus(repo: RepoId, deployment: Deployment, status: DeploymentStatus) {
      const link = status.state === 'success' ? (status.environmentUrl ?? status.logUrl) : status.logUrl;
      await setCommitStatus(repo, deployment.sha, {
        context: deployment.id,
        state: DEPLOY_STATE[status.state],
        description: status.description ?? `${deployment.environment}: ${status.state.replace('_', ' ')}`,
        ...(link ? { targetUrl: link } : {}),
      });
    },

    async openIssue(repo: RepoId, issue: NewIssue): Promise<Issue> {
      const labels = await labelIdsFor(repo, issue.labels ?? []);
      const { data } = await withoutRefusedAssignees(issue, (assignees) =>
        octokit.request('POST /repos/{owner}/{repo}/issues', {
          ...repo,
          title: issue.title,
          body: issue.body,
          labels: labels as unknown as string[],
          ...(assignees.length ? { assignees } : {}),
        }),
      );
      const created = data as unknown as GiteaIssue;
      return {
        number: created.number,
        url: created.html_url,
        state: created.state === 'closed' ? 'closed' : 'open',
      };
    },

    async listIssueComments(repo: RepoId, issue: number): Promise<IssueComment[]> {
      // Gitea answers this endpoint with every comment at once: it takes since/before, not page/limit.
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: issue,
      });
      return (data as unknown as RestIssueComment[]).map(toIssueComment);
    },

    async commentOnIssue(repo: RepoId, issue: number, body: string) {
      await postIssueComment(octokit, repo, issue, body);
    },

    async closeIssue(repo: RepoId, issue: number) {
      await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...repo,
        issue_number: issue,
        state: 'closed',
      });
    },

    async permission(repo: RepoId, login: string) {
      return repoPermission(octokit, repo, login);
    },
  };
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** Every item of a Gitea list endpoint, page by page until a short (or repeated) page. */
async function pageAll<T extends { id: number }>(
  octokit: Octokit,
  path: string,
  query: Record<string, string> = {},
  items: (body: unknown) => T[] = (body) => body as T[],
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<number>();
  for (let page = 1; ; page++) {
    const { data, headers } = await octokit.request(`GET ${path}`, { ...query, page, limit: PAGE_LIMIT });
    const batch = items(data);
    const fresh = batch.filter((item) => !seen.has(item.id));
    for (const item of fresh) {
      seen.add(item.id);
      all.push(item);
    }
    // The server may cap `limit` below ours (MAX_RESPONSE_ITEMS), so its total count decides when known.
    // A server that ignores `page` repeats page 1: stop instead of looping forever.
    const total = Number(headers['x-total-count'] ?? Number.NaN);
    const done = Number.isFinite(total) ? all.length >= total : batch.length < PAGE_LIMIT;
    if (done || fresh.length === 0) return all;
  }
}
