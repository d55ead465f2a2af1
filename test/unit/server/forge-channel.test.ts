import { describe, expect, it } from 'vitest';
import type { ForgeKind } from '../../../src/forge/types.ts';
import { mockedForge, useForgeApiMock } from '../../support/forge-api-mock.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { waitFor } from '../../support/wait-for.ts';
import { commentPayload, pushPayload } from '../../support/webhook-payloads.ts';

// The forge is the only thing mocked (msw, real response shapes); the server, store, git origin, worker
// and approval policy are real.

let fx: ServeFixture | undefined;
const mock = useForgeApiMock(async () => {
  await fx?.close();
  fx = undefined;
});

const REPO = { owner: 'acme', repo: 'ops' };
const FILES: Record<string, string> = {
  'slipway.yml': [
    'environments:',
    '  dev: { url: "https://dev.example.com" }',
    'teams: { "@acme/ops": [bob] }',
    'people:',
    '  alice: { github: alice, gitea: alice }',
    '  bob: { github: bob, gitea: bob }',
    '  mallory: { github: mallory, gitea: mallory }',
    '',
  ].join('\n'),
  'inventories/dev/hosts.yml': 'all:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n',
  'pipelines/app.yml': [
    'name: app',
    'on: { push: { branches: [main] } }',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '  deploy-dev:',
    '    needs: [build]',
    '    environment: dev',
    '    approval: { approvers: [alice, "@acme/ops"], required: 1 }',
    '    steps: [ { name: release, run: { command: ["true"] } } ]',
    '',
  ].join('\n'),
};

async function start(kind: ForgeKind, commentPollMs?: number): Promise<ServeFixture> {
  mock.state.collaborators = { alice: 'write', bob: 'write', mallory: 'write' };
  return startServeFixture(
    {
      worker: { concurrency: 2, pollMs: 50, graceMs: 5_000 },
      forge: {
        forge: mockedForge(kind),
        repo: REPO,
        environmentUrls: { dev: 'https://dev.example.com' },
        runUrl: (id) => `https://slipway.example.com/runs/${id}`,
        pollMs: 50,
        ...(commentPollMs ? { commentPollMs } : {}),
      },
    },
    FILES,
  );
}

describe.each(['github', 'gitea'] as const)('forge channel and reporting: %s', (kind: ForgeKind) => {
  it('reports statuses and the deployment in order, and takes approvals only from allowed new comments', async () => {
    fx = await start(kind);
    const sha = await fx.origin.commit({ 'app.txt': 'v2' });
    const push = pushPayload(kind, { ref: 'refs/heads/main', after: sha, authorLogin: 'alice' });
    push.repository.full_name = 'acme/ops';
    expect((await fx.deliver(kind, 'push', push)).status).toBe(202);

    // The gate opens an issue with the plan and the approvers.
    const issue = await waitFor('the approval issue', () => mock.state.issues.get(1));
    expect(issue.title).toBe(`Approve app / deploy-dev to dev at ${sha.slice(0, 7)} (run 1)`);
    expect(issue.body).toContain('`alice`, `@acme/ops`');
    expect(issue.body).toContain('**release** (run)');
    expect(issue.labels).toEqual(['slipway-approval']);

    const comment = async (action: 'created' | 'edited' | 'deleted', login: string, body: string) => {
      const res = await fx!.deliver(
        kind,
        'issue_comment',
        commentPayload(kind, { action, repository: 'acme/ops', issue: 1, login, body }),
      );
      expect(res.status).toBe(202);
      await fx!.server.idle();
    };
    await comment('created', 'mallory', '/approve');
    await comment('created', 'alice', '/approve');
    await comment('edited', 'bob', '/approve');
    await comment('deleted', 'bob', '/approve');
    await comment('created', 'bob', 'looks fine to me');
    expect(fx.server.store.gates.ofRun(1).map((g) => g.status)).toEqual(['pending']);

    await comment('created', 'bob', '/approve');
    const run = await waitFor('the run to finish', () => {
      const r = fx!.server.store.runs.get(1);
      return r?.status === 'succeeded' && r;
    });
    expect(run.sha).toBe(sha);
    await fx.server.idle();
    await waitFor('the issue to close', () => mock.state.issues.get(1)?.state === 'closed');

    const audit = fx.server.store.gates
      .auditTrail(1)
      .map((a) => [a.actor, a.channel, a.action, a.outcome, a.reason]);
    const as = (login: string) => `${login} (${kind}:${login})`;
    expect(audit).toEqual([
      [as('mallory'), 'forge', 'approve', 'refused', 'mallory is not among the approvers (alice, @acme/ops)'],
      [
        as('alice'),
        'forge',
        'approve',
        'refused',
        `alice is the author of commit ${sha.slice(0, 12)}; self-approval is not allowed`,
      ],
      [`${kind}:bob`, 'forge', 'approve', 'refused', 'the comment was edited; only new comments count'],
      [`${kind}:bob`, 'forge', 'approve', 'refused', 'the comment was deleted; only new comments count'],
      [as('bob'), 'forge', 'approve', 'accepted', 'approved by bob (1 of 1)'],
    ]);
    const replies = mock.state.issues.get(1)!.comments.map((c) => c.body);
    expect(replies[0]).toBe('@mallory: not counted: mallory is not among the approvers (alice, @acme/ops).');
    expect(replies.at(-2)).toBe('@bob: approved by bob (1 of 1).');
    expect(replies.at(-1)).toMatch(/^Gate approved/);

    // Per-job commit statuses, in the order the jobs moved.
    const states = (context: string) =>
      mock.state.statuses.filter((s) => s.context === context).map((s) => s.state);
    expect(states('slipway/app/build')).toEqual(['pending', 'pending', 'success']);
    expect(states('slipway/app/deploy-dev').at(0)).toBe('pending');
    expect(states('slipway/app/deploy-dev').at(-1)).toBe('success');
    // The deployment to dev: queued at the gate, in progress, success with the environment's URL.
    const deploy = mock.deploymentHistory(kind, 'dev');
    expect(deploy.at(-1)).toBe('success');
    expect(deploy).toEqual(
      kind === 'github' ? ['queued', 'in_progress', 'success'] : ['pending', 'pending', 'success'],
    );
    if (kind === 'github') {
      expect(mock.state.deployments).toHaveLength(1);
      expect(mock.state.deployments[0]!.statuses.at(-1)).toMatchObject({
        environment_url: 'https://dev.example.com',
        log_url: 'https://slipway.example.com/runs/1',
      });
    } else {
      expect(mock.state.statuses.filter((s) => s.context === 'deploy/dev').at(-1)?.target_url).toBe(
        'https://dev.example.com',
      );
    }
  });

  it('takes approvals by polling the issue when webhooks cannot reach the runner', async () => {
    // A long interval: the test polls by hand.
    fx = await start(kind, 3_600_000);
    const sha = await fx.origin.commit({ 'app.txt': 'v3' });
    const push = pushPayload(kind, { ref: 'refs/heads/main', after: sha, authorLogin: 'alice' });
    expect((await fx.deliver(kind, 'push', push)).status).toBe(202);
    const issue = await waitFor('the approval issue', () => mock.state.issues.get(1));
    const at = '2026-01-12T10:17:00Z';
    issue.comments.push(
      { id: 501, login: 'mallory', body: '/approve', created_at: at, updated_at: at },
      { id: 502, login: 'bob', body: '/approve', created_at: at, updated_at: '2026-01-12T10:18:00Z' },
    );
    await fx.server.commentPoller!.pollOnce();
    await fx.server.commentPoller!.pollOnce();
    expect(fx.server.store.gates.ofRun(1).map((g) => g.status)).toEqual(['pending']);
    issue.comments.push({ id: 503, login: 'bob', body: '/approve', created_at: at, updated_at: at });
    await fx.server.commentPoller!.pollOnce();
    await waitFor('the run to finish', () => fx!.server.store.runs.get(1)?.status === 'succeeded');
    await fx.server.commentPoller!.pollOnce();
    expect(fx.server.store.gates.auditTrail(1).map((a) => [a.actor, a.outcome, a.reason])).toEqual([
      [`mallory (${kind}:mallory)`, 'refused', 'mallory is not among the approvers (alice, @acme/ops)'],
      [`${kind}:bob`, 'refused', 'the comment was edited; only new comments count'],
      [`bob (${kind}:bob)`, 'accepted', 'approved by bob (1 of 1)'],
    ]);
    await fx.server.idle();
    await waitFor('the issue to close', () => mock.state.issues.get(1)?.state === 'closed');
  });
});
