import { HttpResponse, http, passthrough } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';
import { afterAll, afterEach, expect } from 'vitest';
import { createForge } from '../../src/forge/create.ts';
import type { Forge, ForgeKind } from '../../src/forge/types.ts';

// A stateful stand-in for GitHub's and Gitea's REST APIs, the one mock the project allows. Response
// bodies follow the shapes of GitHub's REST reference and Gitea's swagger (api/v1): field names,
// status codes, pagination headers and error bodies, so the adapters parse what real forges send.

export const GITHUB_API = 'https://api.github.test';
export const GITEA_URL = 'https://gitea.test';
export const MOCK_TOKEN = 'test-token-0123456789';

/** What the fake forge holds for one repository and its organisation. */
export interface ForgeApiState {
  statuses: Array<{ sha: string; state: string; context: string; description?: string; target_url?: string }>;
  deployments: Array<{
    id: number;
    sha: string;
    environment: string;
    required_contexts?: string[];
    statuses: Array<{ state: string; log_url?: string; environment_url?: string; description?: string }>;
  }>;
  issues: Map<
    number,
    {
      title: string;
      body: string;
      labels: string[];
      assignees: string[];
      state: 'open' | 'closed';
      comments: MockComment[];
    }
  >;
  labels: Array<{ id: number; name: string; color: string }>;
  /**
   * Collaborators' permission on the repository (both forges). Another existing user gets `read` (anyone
   * may read a public repository); `ghost` is the one login the forge does not know (404).
   */
  collaborators: Record<string, 'admin' | 'write' | 'read'>;
  /** `METHOD /path?query` of every request that reached a handler, in order. */
  requests: string[];
}

/** A comment as stored by the fake forge. */
export interface MockComment {
  id: number;
  login: string;
  body: string;
  created_at: string;
  updated_at: string;
}

/** A running fake forge: state to seed and inspect, and the requests msw could not route. */
export interface ForgeApiMock {
  server: SetupServer;
  state: ForgeApiState;
  unhandled: string[];
  /** Deployment states as the forge recorded them for `environment`, oldest first. */
  deploymentHistory(kind: ForgeKind, environment: string): string[];
  reset(): void;
}

function emptyState(): ForgeApiState {
  return { statuses: [], deployments: [], issues: new Map(), labels: [], collaborators: {}, requests: [] };
}

let nextId = 1000;
const id = () => ++nextId;
const now = () => new Date().toISOString();

function githubUser(login: string) {
  const uid = [...login].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1_000_000;
  return {
    login,
    id: uid,
    node_id: `MDQ6VXNlcj${uid}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${uid}?v=4`,
    gravatar_id: '',
    url: `${GITHUB_API}/users/${login}`,
    html_url: `https://github.com/${login}`,
    followers_url: `${GITHUB_API}/users/${login}/followers`,
    following_url: `${GITHUB_API}/users/${login}/following{/other_user}`,
    gists_url: `${GITHUB_API}/users/${login}/gists{/gist_id}`,
    starred_url: `${GITHUB_API}/users/${login}/starred{/owner}{/repo}`,
    subscriptions_url: `${GITHUB_API}/users/${login}/subscriptions`,
    organizations_url: `${GITHUB_API}/users/${login}/orgs`,
    repos_url: `${GITHUB_API}/users/${login}/repos`,
    events_url: `${GITHUB_API}/users/${login}/events{/privacy}`,
    received_events_url: `${GITHUB_API}/users/${login}/received_events`,
    type: 'User',
    site_admin: false,
  };
}

function giteaUser(login: string) {
  const uid = [...login].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 100_000;
  return {
    id: uid,
    login,
    login_name: '',
    source_id: 0,
    full_name: '',
    email: `${login}@noreply.gitea.test`,
    avatar_url: `${GITEA_URL}/avatars/${uid}`,
    html_url: `${GITEA_URL}/${login}`,
    language: 'en-US',
    is_admin: false,
    last_login: '2026-01-01T00:00:00Z',
    created: '2025-01-01T00:00:00Z',
    restricted: false,
    active: true,
    prohibit_login: false,
    location: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: login,
  };
}

const githubError = (status: number, message: string) =>
  HttpResponse.json(
    { message, documentation_url: 'https://docs.github.com/rest', status: String(status) },
    { status },
  );
const giteaError = (status: number, message: string) =>
  HttpResponse.json({ message, url: `${GITEA_URL}/api/swagger` }, { status });

/** Who may be assigned an issue: a collaborator with write access or more. */
function assignable(state: ForgeApiState, login: string): boolean {
  const p = state.collaborators[login];
  return p === 'write' || p === 'admin';
}

function authorized(request: Request): boolean {
  return request.headers.get('authorization') === `token ${MOCK_TOKEN}`;
}

function githubHandlers(state: ForgeApiState) {
  const base = `${GITHUB_API}/repos/:owner/:repo`;
  const issueJson = (owner: string, repo: string, n: number) => {
    const issue = state.issues.get(n)!;
    return {
      id: 5_000_000 + n,
      node_id: `I_kwDO${n}`,
      url: `${GITHUB_API}/repos/${owner}/${repo}/issues/${n}`,
      repository_url: `${GITHUB_API}/repos/${owner}/${repo}`,
      labels_url: `${GITHUB_API}/repos/${owner}/${repo}/issues/${n}/labels{/name}`,
      comments_url: `${GITHUB_API}/repos/${owner}/${repo}/issues/${n}/comments`,
      events_url: `${GITHUB_API}/repos/${owner}/${repo}/issues/${n}/events`,
      html_url: `https://github.com/${owner}/${repo}/issues/${n}`,
      number: n,
      state: issue.state,
      state_reason: issue.state === 'closed' ? 'completed' : null,
      title: issue.title,
      body: issue.body,
      user: githubUser('slipway-bot'),
      labels: issue.labels.map((name, i) => ({
        id: 208045946 + i,
        node_id: `MDU6TGFiZWwyMDgwNDU5N${i}`,
        url: `${GITHUB_API}/repos/${owner}/${repo}/labels/${name}`,
        name,
        description: null,
        color: 'ededed',
        default: false,
      })),
      assignee: issue.assignees[0] ? githubUser(issue.assignees[0]) : null,
      assignees: issue.assignees.map(githubUser),
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: issue.comments.length,
      closed_at: issue.state === 'closed' ? now() : null,
      created_at: now(),
      updated_at: now(),
      closed_by: null,
      author_association: 'NONE',
    };
  };
  return [
    http.post(`${base}/statuses/:sha`, async ({ request, params }) => {
      const body = (await request.json()) as Record<string, string>;
      if (!['error', 'failure', 'pending', 'success'].includes(body.state!)) {
        return HttpResponse.json(
          { message: 'Validation Failed', errors: [{ field: 'state' }] },
          { status: 422 },
        );
      }
      state.statuses.push({ sha: String(params.sha), ...(body as { state: string; context: string }) });
      return HttpResponse.json(
        {
          url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/statuses/${params.sha}`,
          avatar_url: 'https://github.com/images/error/hubot_happy.gif',
          id: id(),
          node_id: 'MDY6U3RhdHVzMQ==',
          state: body.state,
          description: body.description ?? null,
          target_url: body.target_url ?? null,
          context: body.context ?? 'default',
          created_at: now(),
          updated_at: now(),
          creator: githubUser('slipway-bot'),
        },
        { status: 201 },
      );
    }),
    http.post(`${base}/deployments`, async ({ request, params }) => {
      const body = (await request.json()) as Record<string, unknown>;
      const dep = {
        id: id(),
        sha: String(body.ref),
        environment: String(body.environment ?? 'production'),
        required_contexts: body.required_contexts as string[] | undefined,
        statuses: [],
      };
      state.deployments.push(dep);
      return HttpResponse.json(
        {
          url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/deployments/${dep.id}`,
          id: dep.id,
          node_id: 'MDEwOkRlcGxveW1lbnQx',
          sha: dep.sha,
          ref: dep.sha,
          task: 'deploy',
          payload: {},
          original_environment: dep.environment,
          environment: dep.environment,
          description: body.description ?? null,
          creator: githubUser('slipway-bot'),
          created_at: now(),
          updated_at: now(),
          statuses_url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/deployments/${dep.id}/statuses`,
          repository_url: `${GITHUB_API}/repos/${params.owner}/${params.repo}`,
          transient_environment: false,
          production_environment: Boolean(body.production_environment),
        },
        { status: 201 },
      );
    }),
    http.post(`${base}/deployments/:id/statuses`, async ({ request, params }) => {
      const dep = state.deployments.find((d) => d.id === Number(params.id));
      if (!dep) return githubError(404, 'Not Found');
      const body = (await request.json()) as Record<string, string>;
      dep.statuses.push({
        state: body.state!,
        log_url: body.log_url,
        environment_url: body.environment_url,
        description: body.description,
      });
      return HttpResponse.json(
        {
          url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/deployments/${dep.id}/statuses/${id()}`,
          id: nextId,
          node_id: 'MDE2OkRlcGxveW1lbnRTdGF0dXMx',
          state: body.state,
          creator: githubUser('slipway-bot'),
          description: body.description ?? '',
          environment: dep.environment,
          target_url: body.log_url ?? '',
          log_url: body.log_url ?? '',
          environment_url: body.environment_url ?? '',
          created_at: now(),
          updated_at: now(),
          deployment_url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/deployments/${dep.id}`,
          repository_url: `${GITHUB_API}/repos/${params.owner}/${params.repo}`,
        },
        { status: 201 },
      );
    }),
    http.post(`${base}/issues`, async ({ request, params }) => {
      const body = (await request.json()) as {
        title: string;
        body: string;
        labels?: string[];
        assignees?: string[];
      };
      // GitHub refuses an assignee who cannot be assigned (no push access) with a 422 on the field.
      const refused = (body.assignees ?? []).find((a) => !assignable(state, a));
      if (refused)
        return HttpResponse.json(
          {
            message: 'Validation Failed',
            errors: [{ value: refused, resource: 'Issue', field: 'assignees', code: 'invalid' }],
            documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
          },
          { status: 422 },
        );
      const n = state.issues.size + 1;
      state.issues.set(n, {
        title: body.title,
        body: body.body,
        labels: body.labels ?? [],
        assignees: body.assignees ?? [],
        state: 'open',
        comments: [],
      });
      return HttpResponse.json(issueJson(String(params.owner), String(params.repo), n), { status: 201 });
    }),
    http.patch(`${base}/issues/:n`, async ({ request, params }) => {
      const issue = state.issues.get(Number(params.n));
      if (!issue) return githubError(404, 'Not Found');
      const body = (await request.json()) as { state?: 'open' | 'closed' };
      if (body.state) issue.state = body.state;
      return HttpResponse.json(issueJson(String(params.owner), String(params.repo), Number(params.n)));
    }),
    http.get(`${base}/issues/:n/comments`, ({ request, params }) => {
      const issue = state.issues.get(Number(params.n));
      if (!issue) return githubError(404, 'Not Found');
      const url = new URL(request.url);
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = issue.comments.slice((page - 1) * perPage, page * perPage);
      const last = Math.max(1, Math.ceil(issue.comments.length / perPage));
      const link = (p: number, rel: string) => {
        const u = new URL(url);
        u.searchParams.set('page', String(p));
        u.searchParams.set('per_page', String(perPage));
        return `<${u}>; rel="${rel}"`;
      };
      const headers: Record<string, string> = {};
      if (page < last) headers.link = [link(page + 1, 'next'), link(last, 'last')].join(', ');
      return HttpResponse.json(
        slice.map((c) => ({
          id: c.id,
          node_id: `IC_kwDO${c.id}`,
          url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/issues/comments/${c.id}`,
          html_url: `https://github.com/${params.owner}/${params.repo}/issues/${params.n}#issuecomment-${c.id}`,
          body: c.body,
          user: githubUser(c.login),
          created_at: c.created_at,
          updated_at: c.updated_at,
          issue_url: `${GITHUB_API}/repos/${params.owner}/${params.repo}/issues/${params.n}`,
          author_association: 'MEMBER',
          performed_via_github_app: null,
        })),
        { headers },
      );
    }),
    http.post(`${base}/issues/:n/comments`, async ({ request, params }) => {
      const issue = state.issues.get(Number(params.n));
      if (!issue) return githubError(404, 'Not Found');
      const body = (await request.json()) as { body: string };
      const c = { id: id(), login: 'slipway-bot', body: body.body, created_at: now(), updated_at: now() };
      issue.comments.push(c);
      return HttpResponse.json(
        {
          id: c.id,
          body: c.body,
          user: githubUser(c.login),
          created_at: c.created_at,
          updated_at: c.updated_at,
        },
        { status: 201 },
      );
    }),
    http.get(`${GITHUB_API}/repos/:owner/:repo/collaborators/:login/permission`, ({ params }) => {
      const login = String(params.login);
      if (login === 'ghost') return githubError(404, 'Not Found');
      const permission = state.collaborators[login] ?? 'read';
      // GitHub's shape: the legacy permission (admin, write, read, none), the role and the user.
      return HttpResponse.json({ permission, role_name: permission, user: githubUser(login) });
    }),
  ];
}

function giteaHandlers(state: ForgeApiState) {
  const api = `${GITEA_URL}/api/v1`;
  const base = `${api}/repos/:owner/:repo`;
  const issueJson = (owner: string, repo: string, n: number) => {
    const issue = state.issues.get(n)!;
    return {
      id: 7000 + n,
      url: `${api}/repos/${owner}/${repo}/issues/${n}`,
      html_url: `${GITEA_URL}/${owner}/${repo}/issues/${n}`,
      number: n,
      user: giteaUser('slipway-bot'),
      original_author: '',
      original_author_id: 0,
      title: issue.title,
      body: issue.body,
      ref: '',
      assets: [],
      labels: issue.labels.map((name) => {
        const label = state.labels.find((l) => l.name === name)!;
        return {
          id: label.id,
          name,
          exclusive: false,
          is_archived: false,
          color: label.color,
          description: '',
          url: '',
        };
      }),
      milestone: null,
      assignee: issue.assignees[0] ? giteaUser(issue.assignees[0]) : null,
      assignees: issue.assignees.length ? issue.assignees.map(giteaUser) : null,
      state: issue.state,
      is_locked: false,
      comments: issue.comments.length,
      created_at: now(),
      updated_at: now(),
      closed_at: issue.state === 'closed' ? now() : null,
      due_date: null,
      pull_request: null,
      repository: { id: 1, name: repo, owner, full_name: `${owner}/${repo}` },
      pin_order: 0,
    };
  };
  const page = (request: Request) => {
    const url = new URL(request.url);
    // Gitea caps `limit` at MAX_RESPONSE_ITEMS (default 50).
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 50), 50);
    return { page: Math.max(1, Number(url.searchParams.get('page') ?? 1)), limit };
  };
  return [
    http.post(`${base}/statuses/:sha`, async ({ request, params }) => {
      const body = (await request.json()) as Record<string, string>;
      if (!['pending', 'success', 'error', 'failure', 'warning'].includes(body.state!)) {
        return giteaError(422, 'state: invalid');
      }
      state.statuses.push({ sha: String(params.sha), ...(body as { state: string; context: string }) });
      return HttpResponse.json(
        {
          id: id(),
          status: body.state,
          target_url: body.target_url ?? '',
          description: body.description ?? '',
          url: `${api}/repos/${params.owner}/${params.repo}/statuses/${params.sha}`,
          context: body.context ?? '',
          creator: giteaUser('slipway-bot'),
          created_at: now(),
          updated_at: now(),
        },
        { status: 201 },
      );
    }),
    http.get(`${base}/labels`, ({ request }) => {
      const { page: p, limit } = page(request);
      const slice = state.labels.slice((p - 1) * limit, p * limit);
      return HttpResponse.json(
        slice.map((l) => ({
          ...l,
          exclusive: false,
          is_archived: false,
          description: '',
          url: `${api}/labels/${l.id}`,
        })),
        { headers: { 'x-total-count': String(state.labels.length) } },
      );
    }),
    http.post(`${base}/labels`, async ({ request }) => {
      const body = (await request.json()) as { name: string; color: string };
      if (!/^#?[0-9a-fA-F]{6}$/.test(body.color)) return giteaError(422, 'color: invalid');
      const label = { id: id(), name: body.name, color: body.color.replace('#', '') };
      state.labels.push(label);
      return HttpResponse.json(
        { ...label, exclusive: false, is_archived: false, description: '', url: '' },
        { status: 201 },
      );
    }),
    http.post(`${base}/issues`, async ({ request, params }) => {
      const body = (await request.json()) as {
        title: string;
        body: string;
        labels?: unknown[];
        assignees?: string[];
      };
      const refused = (body.assignees ?? []).find((a) => !assignable(state, a));
      // Gitea answers an assignee without access like a missing user, with its 422 message.
      if (refused) return giteaError(422, `user does not exist [uid: 0, name: ${refused}]`);
      // Gitea's CreateIssueOption takes label ids (int64): names are a 422 from its JSON binding.
      if ((body.labels ?? []).some((l) => typeof l !== 'number'))
        return giteaError(422, 'labels: expected []int64');
      const names = (body.labels as number[] | undefined)?.map(
        (lid) => state.labels.find((l) => l.id === lid)?.name,
      );
      if (names?.some((n) => n === undefined)) return giteaError(422, 'label does not exist');
      const n = state.issues.size + 1;
      state.issues.set(n, {
        title: body.title,
        body: body.body,
        labels: names as string[],
        assignees: body.assignees ?? [],
        state: 'open',
        comments: [],
      });
      return HttpResponse.json(issueJson(String(params.owner), String(params.repo), n), { status: 201 });
    }),
    http.patch(`${base}/issues/:n`, async ({ request, params }) => {
      const issue = state.issues.get(Number(params.n));
      if (!issue) return giteaError(404, "The target couldn't be found.");
      const body = (await request.json()) as Record<string, unknown>;
      if ('state_reason' in body) return giteaError(422, 'unknown field state_reason');
      if (body.state === 'open' || body.state === 'closed') issue.state = body.state;
      return HttpResponse.json(issueJson(String(params.owner), String(params.repo), Number(params.n)), {
        status: 201,
      });
    }),
    http.get(`${base}/issues/:n/comments`, ({ params }) => {
      const issue = state.issues.get(Number(params.n));
      if (!issue) return giteaError(404, "The target couldn't be found.");
      // No page/limit on this endpoint: Gitea returns every comment.
      return HttpResponse.json(
        issue.comments.map((c) => ({
          id: c.id,
          html_url: `${GITEA_URL}/${params.owner}/${params.repo}/issues/${params.n}#issuecomment-${c.id}`,
          pull_request_url: '',
          issue_url: `${GITEA_URL}/${params.owner}/${params.repo}/issues/${params.n}`,
          user: giteaUser(c.login),
          original_author: '',
          original_author_id: 0,
          body: c.body,
          assets: [],
          created_at: c.created_at,
          updated_at: c.updated_at,
        })),
      );
    }),
    http.post(`${base}/issues/:n/comments`, async ({ request, params }) => {
      const issue = state.issues.get(Number(params.n));
      if (!issue) return giteaError(404, "The target couldn't be found.");
      const body = (await request.json()) as { body: string };
      const c = { id: id(), login: 'slipway-bot', body: body.body, created_at: now(), updated_at: now() };
      issue.comments.push(c);
      return HttpResponse.json({ id: c.id, body: c.body, user: giteaUser(c.login) }, { status: 201 });
    }),
    http.get(`${api}/repos/:owner/:repo/collaborators/:login/permission`, ({ params }) => {
      const login = String(params.login);
      if (login === 'ghost') return giteaError(404, "The target couldn't be found.");
      const permission = state.collaborators[login] ?? 'read';
      // Gitea's RepoCollaboratorPermission: permission (owner, admin, write, read, none), role_name, user.
      return HttpResponse.json({
        permission: permission === 'admin' ? 'owner' : permission,
        role_name: permission === 'admin' ? 'owner' : permission,
        user: giteaUser(login),
      });
    }),
  ];
}

/**
 * Starts msw with both fake forges. Requests to loopback pass through (the server under test listens
 * there); any other request without a handler is an error and is recorded in `unhandled`.
 */
export function startForgeApiMock(): ForgeApiMock {
  const state = emptyState();
  const unhandled: string[] = [];
  const guard = http.all(/^https:\/\/(api\.github|gitea)\.test\//, ({ request }) => {
    state.requests.push(`${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`);
    if (!authorized(request)) {
      return request.url.startsWith(GITHUB_API)
        ? githubError(401, 'Bad credentials')
        : giteaError(401, 'token is required');
    }
    return undefined;
  });
  const loopback = http.all(/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/, () => passthrough());
  const server = setupServer(guard, loopback, ...githubHandlers(state), ...giteaHandlers(state));
  server.events.on('request:unhandled', ({ request }) => {
    unhandled.push(`${request.method} ${request.url}`);
  });
  server.listen({ onUnhandledFrame: 'error' });
  return {
    server,
    state,
    unhandled,
    deploymentHistory(kind, environment) {
      if (kind === 'github') {
        return state.deployments
          .filter((d) => d.environment === environment)
          .flatMap((d) => d.statuses.map((s) => s.state));
      }
      return state.statuses.filter((s) => s.context === `deploy/${environment}`).map((s) => s.state);
    },
    reset() {
      Object.assign(state, emptyState());
      unhandled.length = 0;
    },
  };
}

/**
 * The fake forge of a test file: after each test `teardown` runs (close the test's server), no request may
 * have gone unhandled, and the forge is reset; after the file, it stops.
 */
export function useForgeApiMock(teardown: () => Promise<void>): ForgeApiMock {
  const mock = startForgeApiMock();
  afterAll(() => mock.server.close());
  afterEach(async () => {
    await teardown();
    expect(mock.unhandled).toEqual([]);
    mock.reset();
  });
  return mock;
}

/** An adapter of `kind` talking to the fake forge (no retries: an unhandled request fails at once). */
export function mockedForge(kind: ForgeKind): Forge {
  return createForge(kind, {
    url: kind === 'github' ? GITHUB_API : GITEA_URL,
    token: MOCK_TOKEN,
    resilient: false,
  });
}
