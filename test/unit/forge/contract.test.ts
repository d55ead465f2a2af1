import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createForge } from '../../../src/forge/create.ts';
import type { Forge, ForgeKind } from '../../../src/forge/types.ts';
import { GITEA_URL, GITHUB_API, MOCK_TOKEN, startForgeApiMock } from '../../support/forge-api-mock.ts';

const mock = startForgeApiMock();
afterAll(() => mock.server.close());
afterEach(() => {
  expect(mock.unhandled).toEqual([]);
  mock.reset();
});

const repo = { owner: 'acme', repo: 'ops' };
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const URLS: Record<ForgeKind, string> = { github: GITHUB_API, gitea: GITEA_URL };

function forge(kind: ForgeKind, token = MOCK_TOKEN): Forge {
  return createForge(kind, { url: URLS[kind], token, resilient: false });
}

describe.each(['github', 'gitea'] as const)('forge contract: %s', (kind) => {
  let f: Forge;
  beforeEach(() => {
    f = forge(kind);
  });

  it('declares its capabilities', () => {
    expect(f.kind).toBe(kind);
    expect(f.capabilities.deployments).toBe(kind === 'github' ? 'native' : 'commit-status');
    expect(f.capabilities.pagination).toBe(kind === 'github' ? 'link' : 'page-limit');
  });

  it('sets a commit status per job, description cut to the forge limit', async () => {
    await f.setCommitStatus(repo, SHA, {
      context: 'slipway/web/publish',
      state: 'pending',
      description: 'x'.repeat(200),
      targetUrl: 'https://ci.example.com/runs/1',
    });
    await f.setCommitStatus(repo, SHA, { context: 'slipway/web/publish', state: 'success' });
    expect(mock.state.statuses.map((s) => [s.sha, s.context, s.state])).toEqual([
      [SHA, 'slipway/web/publish', 'pending'],
      [SHA, 'slipway/web/publish', 'success'],
    ]);
    expect(mock.state.statuses[0]!.description).toHaveLength(140);
    expect(mock.state.statuses[0]!.target_url).toBe('https://ci.example.com/runs/1');
  });

  it('reports deployment transitions in order, with log and environment links', async () => {
    const dep = await f.createDeployment(repo, SHA, 'dev', 'web to dev');
    expect(dep).toMatchObject({ sha: SHA, environment: 'dev' });
    for (const state of ['queued', 'in_progress', 'success'] as const) {
      await f.setDeploymentStatus(repo, dep, {
        state,
        logUrl: 'https://ci.example.com/runs/1',
        environmentUrl: 'https://dev.example.com',
      });
    }
    const history = mock.deploymentHistory(kind, 'dev');
    if (kind === 'github') {
      expect(history).toEqual(['queued', 'in_progress', 'success']);
      const d = mock.state.deployments[0]!;
      expect(d.required_contexts).toEqual([]);
      expect(d.statuses[2]).toMatchObject({
        log_url: 'https://ci.example.com/runs/1',
        environment_url: 'https://dev.example.com',
      });
    } else {
      expect(history).toEqual(['pending', 'pending', 'success']);
      const last = mock.state.statuses.at(-1)!;
      expect(last).toMatchObject({ context: 'deploy/dev', target_url: 'https://dev.example.com' });
      expect(mock.state.statuses[0]!.target_url).toBe('https://ci.example.com/runs/1');
    }
  });

  it('opens an issue with labels, creating a missing label once', async () => {
    // Enough labels to need a second page on Gitea (page/limit, limit capped at 50).
    for (let i = 0; i < 60; i++) mock.state.labels.push({ id: 1 + i, name: `area-${i}`, color: 'ededed' });
    const issue = await f.openIssue(repo, {
      title: 'Approve',
      body: 'plan',
      labels: ['area-55', 'slipway-approval'],
    });
    const second = await f.openIssue(repo, { title: 'Again', body: 'plan', labels: ['slipway-approval'] });
    expect(issue.number).toBe(1);
    expect(second.number).toBe(2);
    expect(issue.state).toBe('open');
    expect(issue.url).toMatch(/\/acme\/ops\/issues\/1$/);
    expect(mock.state.issues.get(1)!.labels).toEqual(['area-55', 'slipway-approval']);
    if (kind === 'gitea') {
      expect(mock.state.labels.filter((l) => l.name === 'slipway-approval')).toHaveLength(1);
      expect(mock.state.requests.filter((r) => r.startsWith('GET /api/v1/repos/acme/ops/labels'))).toEqual([
        'GET /api/v1/repos/acme/ops/labels?page=1&limit=50',
        'GET /api/v1/repos/acme/ops/labels?page=2&limit=50',
      ]);
    }
  });

  it('lists every comment of an issue across pages, keeping edit times', async () => {
    await f.openIssue(repo, { title: 'Approve', body: 'plan' });
    const comments = mock.state.issues.get(1)!.comments;
    for (let i = 0; i < 130; i++) {
      comments.push({
        id: 10 + i,
        login: i % 2 ? 'alice' : 'bob',
        body: `c${i}`,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: i === 7 ? '2026-01-01T00:05:00Z' : '2026-01-01T00:00:00Z',
      });
    }
    const listed = await f.listIssueComments(repo, 1);
    expect(listed.map((c) => c.body)).toEqual(comments.map((c) => c.body));
    expect(listed[7]).toMatchObject({
      login: 'alice',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:05:00Z',
    });
    expect(listed[7]!.url).toContain('#issuecomment-17');
  });

  it('comments on and closes an issue', async () => {
    await f.openIssue(repo, { title: 'Approve', body: 'plan' });
    await f.commentOnIssue(repo, 1, 'Approved by alice');
    await f.closeIssue(repo, 1);
    const issue = mock.state.issues.get(1)!;
    expect(issue.state).toBe('closed');
    expect(issue.comments.map((c) => c.body)).toEqual(['Approved by alice']);
  });

  it("reads a login's permission on the repository: unknown users have none", async () => {
    mock.state.collaborators = { alice: 'admin', bob: 'write' };
    expect(await f.permission(repo, 'alice')).toBe('admin');
    expect(await f.permission(repo, 'bob')).toBe('write');
    expect(await f.permission(repo, 'mallory')).toBe('read');
    expect(await f.permission(repo, 'ghost')).toBe('none');
  });

  it('fails on bad credentials at once, without retries', async () => {
    const bad = forge(kind, 'wrong');
    await expect(bad.setCommitStatus(repo, SHA, { context: 'c', state: 'success' })).rejects.toMatchObject({
      status: 401,
    });
    expect(mock.state.requests).toHaveLength(1);
  });
});
