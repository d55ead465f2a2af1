/** A repository on a forge. */
export interface RepoId {
  owner: string;
  repo: string;
}

/** The forges Slipway talks to. Forgejo speaks Gitea's API. */
export type ForgeKind = 'github' | 'gitea';

/**
 * What a forge can do, declared by each adapter so callers branch on facts, not on guesses or error codes.
 * Gitea has no Deployments API, pages with page/limit, addresses labels by id and teams by numeric id.
 */
export interface ForgeCapabilities {
  /** `native`: the Deployments API; `commit-status`: a commit status with context `deploy/<env>`. */
  deployments: 'native' | 'commit-status';
  /** `link`: per_page + Link header; `page-limit`: page/limit until a short page. */
  pagination: 'link' | 'page-limit';
  /** How an issue names its labels when it is created. */
  labels: 'by-name' | 'by-id';
}

/** A login's permission on a repository, as both forges name it (Gitea's `owner` counts as `admin`). */
export type RepoPermission = 'admin' | 'write' | 'read' | 'none';

/** Commit status states both forges accept. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** One commit status, e.g. per job: context `slipway/<pipeline>/<job>`. */
export interface CommitStatus {
  context: string;
  state: CommitState;
  /** Shown next to the status; forges cut it at 140 characters. */
  description?: string;
  targetUrl?: string;
}

/** Deployment states Slipway reports per environment. */
export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error';

/** A deployment of one commit to one environment. */
export interface Deployment {
  /** Forge-side id: GitHub's numeric id, or the emulated status context on Gitea. */
  id: string;
  sha: string;
  environment: string;
}

/** A deployment's new state with its links. */
export interface DeploymentStatus {
  state: DeploymentState;
  description?: string;
  /** The run's log page. */
  logUrl?: string;
  /** Where the deployed environment answers. */
  environmentUrl?: string;
}

/** An issue as Slipway needs it. */
export interface Issue {
  number: number;
  url: string;
  state: 'open' | 'closed';
}

/** An issue to open. */
export interface NewIssue {
  title: string;
  body: string;
  labels?: string[];
  assignees?: string[];
}

/** A comment on an issue, with what tells an original comment from an edited one. */
export interface IssueComment {
  id: number;
  login: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  url: string;
}

/** The adapter interface: everything Slipway asks of GitHub or Gitea/Forgejo. */
export interface Forge {
  readonly kind: ForgeKind;
  readonly capabilities: ForgeCapabilities;
  /** Sets (appends) a commit status on `sha`. */
  setCommitStatus(repo: RepoId, sha: string, status: CommitStatus): Promise<void>;
  /** Starts a deployment record of `sha` to `environment`. */
  createDeployment(repo: RepoId, sha: string, environment: string, description?: string): Promise<Deployment>;
  /** Reports a deployment's progress; calls must come in the order the states happened. */
  setDeploymentStatus(repo: RepoId, deployment: Deployment, status: DeploymentStatus): Promise<void>;
  /**
   * Opens an issue with labels by name (created on the forge when missing), assigned to `assignees` (logins)
   * when the forge accepts them; when it refuses them (no such user, no access) the issue is opened unassigned.
   */
  openIssue(repo: RepoId, issue: NewIssue): Promise<Issue>;
  /** Every comment of an issue, oldest first, across all pages. */
  listIssueComments(repo: RepoId, issue: number): Promise<IssueComment[]>;
  /** Adds a comment to an issue. */
  commentOnIssue(repo: RepoId, issue: number, body: string): Promise<void>;
  /** Closes an issue. */
  closeIssue(repo: RepoId, issue: number): Promise<void>;
  /** What `login` may do on the repository (`none` for an unknown user); decisions need `write` or `admin`. */
  permission(repo: RepoId, login: string): Promise<RepoPermission>;
}
