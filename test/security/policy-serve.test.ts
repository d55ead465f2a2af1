// Policy and identity through `slipway serve`: a real origin repository, real store, server and worker;
// only the forge API is mocked (msw, real payload shapes). Pushes come as signed webhooks, decisions as
// issue comments.
import { describe, expect, it } from 'vitest';
import { finishRun } from '../../src/engine/recovery.ts';
import type { ForgeKind } from '../../src/forge/types.ts';
import type { ServeOptions } from '../../src/server/serve.ts';
import { mockedForge, useForgeApiMock } from '../support/forge-api-mock.ts';
import { type ServeFixture, startServeFixture } from '../support/serve-fixture.ts';
import { waitFor } from '../support/wait-for.ts';
import { commentPayload, type Payload, pushPayload } from '../support/webhook-payloads.ts';

let fx: ServeFixture | undefined;
const mock = useForgeApiMock(async () => {
  await fx?.close();
  fx = undefined;
});

const HOSTS = 'all:\n  hosts:\n    web1: { ansible_host: 127.0.0.1 }\n';
/** The default branch: dev open to every branch, prod to main only; people map forge logins. */
const MAIN: Record<string, string> = {
  'slipway.yml': [
    'environments:',
    '  dev: {}',
    '  prod: { branches: [main] }',
    'people:',
    '  alice: { github: alice-gh, gitea: alice-gt, dashboard: alice }',
    '  bob: { github: bob-gh, gitea: bob-gt }',
    '  carol: { github: carol-gh, gitea: carol-gt }',
    '',
  ].join('\n'),
  'inventories/dev/hosts.yml': HOSTS,
  'inventories/prod/hosts.yml': HOSTS,
  'pipelines/app.yml': pipeline([
    '  deploy-dev:',
    '    environment: dev',
    '    approval: { approvers: [alice, bob, carol] }',
    '    steps: [ { run: { command: ["true"] } } ]',
    '  deploy-prod:',
    '    needs: [deploy-dev]',
    '    environment: prod',
    '    approval: { approvers: [alice, bob], required: 2 }',
    '    steps: [ { run: { command: ["true"] } } ]',
  ]),
};

function pipeline(jobs: string[]): string {
  return ['name: app', 'on: { push: { branches: ["**"] } }', 'jobs:', ...jobs, ''].join('\n');
}

/** mallory's branch: her own approvers, self-approval, a person entry, prod opened to every branch. */
const MALLORY_POLICY = [
  'environments:',
  '  dev: {}',
  '  prod: { branches: ["*"] }',
  'people:',
  '  mallory: { github: mallory, gitea: mallory }',
  '',
].join('\n');

async function start(kind: ForgeKind = 'github', o: Partial<ServeOptions> = {}): Promise<ServeFixture> {
  mock.state.collaborators = {
    'alice-gh': 'write',
    'alice-gt': 'write',
    'bob-gh': 'write',
    'bob-gt': 'write',
  };
  mock.state.collaborators.mallory = 'write';
  return startServeFixture(
    {
      repository: 'acme/ops',
      worker: { concurrency: 2, pollMs: 50, graceMs: 5_000 },
      forge: {
        forge: mockedForge(kind),
        repo: { owner: 'acme', repo: 'ops' },
        environmentUrls: {},
        pollMs: 50,
      },
      ...o,
    },
    MAIN,
  );
}

/** A push of `sha` to `branch` as `kind` sends it, by forge login `pusher`. */
function push(kind: ForgeKind, branch: string, sha: string, pusher: string): Payload {
  const p = pushPayload(kind, { ref: `refs/heads/${branch}`, after: sha });
  p.repository.full_name = 'acme/ops';
  // The origin's commits are written as Alice <alice@example.com>: the payload says so, as a forge's would.
  const author = { name: 'Alice', email: 'alice@example.com', username: 'Alice' };
  p.commits.at(-1).author = author;
  if (p.head_commit) p.head_commit.author = author;
  p.sender.login = pusher;
  if (kind === 'gitea') p.pusher = { ...p.pusher, login: pusher, username: pusher };
  else p.pusher = { name: pusher, email: `${pusher}@example.com` };
  return p;
}

async function comment(kind: ForgeKind, login: string, issue = 1): Promise<string> {
  const res = await fx!.deliver(
    kind,
    'issue_comment',
    commentPayload(kind, { action: 'created', repository: 'acme/ops', issue, login, body: '/approve' }),
  );
  expect(res.status).toBe(202);
  await fx!.server.idle();
  // The answer to this comment (the reporter may add its own after it).
  const answers = mock.state.issues.get(issue)!.comments.filter((c) => c.body.startsWith(`@${login}:`));
  return answers.at(-1)!.body;
}

const gateOf = (runId: number) =>
  waitFor('the gate', () => fx!.server.store.gates.latest(runId, 'deploy-dev'));

describe('policy comes from the default branch, never from the pushed commit', () => {
  it("a branch cannot open prod to itself: the default branch's allowlist refuses the run at queue time", async () => {
    fx = await start();
    const sha = await fx.origin.commit({ 'slipway.yml': MALLORY_POLICY }, 'feature/x');
    expect((await fx.deliver('github', 'push', push('github', 'feature/x', sha, 'mallory'))).status).toBe(
      202,
    );
    await fx.server.idle();
    expect(fx.server.store.runs.list({})).toEqual([]);
    expect(fx.logs.join('\n')).toMatch(
      /not starting app: branch feature\/x may not deploy to prod: slipway\.yml on refs\/heads\/main \([0-9a-f]{12}\) allows main/,
    );
  });

  it("a branch's own approvers, self-approval and people entries count for nothing", async () => {
    fx = await start();
    const sha = await fx.origin.commit(
      {
        'slipway.yml': MALLORY_POLICY,
        'pipelines/app.yml': pipeline([
          '  deploy-dev:',
          '    environment: dev',
          '    approval: { approvers: [mallory], allow_self_approval: true }',
          '    steps: [ { run: { command: ["true"] } } ]',
        ]),
      },
      'feature/x',
    );
    expect((await fx.deliver('github', 'push', push('github', 'feature/x', sha, 'mallory'))).status).toBe(
      202,
    );
    await fx.server.idle();
    const gate = await gateOf(1);
    expect(gate.policy).toMatchObject({ approvers: ['alice', 'bob', 'carol'], allowSelfApproval: false });
    // mallory pushed it, wrote her own policy and has write access: she is nobody in the default branch's people.
    expect(await comment('github', 'mallory')).toBe(
      '@mallory: not counted: github:mallory is not mapped to a person (add it under people in slipway.yml on the default branch).',
    );
    expect(await comment('github', 'bob-gh')).toBe('@bob-gh: approved by bob (1 of 1).');
    await waitFor('the run to succeed', () => fx!.server.store.runs.get(1)?.status === 'succeeded');
  });

  it('renaming a gated job or dropping its approval on a branch keeps the gate of its environment', async () => {
    fx = await start();
    const sha = await fx.origin.commit(
      {
        'pipelines/app.yml': pipeline([
          '  ship-it:',
          '    environment: dev',
          '    steps: [ { run: { command: ["true"] } } ]',
        ]),
      },
      'feature/y',
    );
    await fx.deliver('github', 'push', push('github', 'feature/y', sha, 'mallory'));
    await fx.server.idle();
    const gate = await waitFor('the gate', () => fx!.server.store.gates.latest(1, 'ship-it'));
    expect(gate.policy.approvers).toEqual(['alice', 'bob', 'carol']);
    expect(fx.server.store.runs.get(1)!.status).toBe('waiting');
  });
});

describe.each(['github', 'gitea'] as const)('who may decide, through %s comments', (kind) => {
  const login = (p: string) => `${p}-${kind === 'github' ? 'gh' : 'gt'}`;

  it('refuses the pusher and the author of the commit, as persons, whatever login they use', async () => {
    fx = await start(kind);
    // Alice wrote the commit (as her git name, not a forge login); bob pushed it.
    const sha = await fx.origin.commit({ 'app.txt': 'v2' });
    await fx.deliver(kind, 'push', push(kind, 'main', sha, login('bob')));
    await fx.server.idle();
    const gate = await gateOf(1);
    expect(fx.server.store.runs.get(1)!.triggerIdentity).toBe(`${kind}:${login('bob')}`);
    expect(await comment(kind, login('bob'))).toBe(
      `@${login('bob')}: not counted: bob started this run (${kind}:${login('bob')}); self-approval is not allowed.`,
    );
    expect(await comment(kind, login('alice'))).toBe(
      `@${login('alice')}: not counted: alice is the author of commit ${gate.sha.slice(0, 12)}; self-approval is not allowed.`,
    );
    expect(fx.server.store.gates.get(gate.id)!.status).toBe('pending');
  });

  it('refuses a mapped commenter without write permission, and a login that is only a dashboard name', async () => {
    fx = await start(kind);
    mock.state.collaborators.alice = 'write'; // someone else's forge account, named like alice's dashboard login
    const sha = await fx.origin.commit({ 'app.txt': 'v3' });
    await fx.deliver(kind, 'push', push(kind, 'main', sha, login('bob')));
    await fx.server.idle();
    await gateOf(1);
    // carol is an approver, but on a public repository her account may only read.
    expect(await comment(kind, login('carol'))).toBe(
      `@${login('carol')}: not counted: ${login('carol')} has read permission on acme/ops; deciding needs write.`,
    );
    expect(await comment(kind, 'alice')).toBe(
      `@alice: not counted: ${kind}:alice is not mapped to a person (add it under people in slipway.yml on the default branch).`,
    );
    const audit = fx.server.store.gates.auditTrail(1).map((a) => [a.actor, a.outcome]);
    expect(audit).toEqual([
      [`${kind}:${login('carol')}`, 'refused'],
      [`${kind}:alice (unmapped)`, 'refused'],
    ]);
  });
});

describe('a weakening push to the default branch', () => {
  it('waits at a gate of its own, decided through comments under the policy before it', async () => {
    fx = await start('github', { policyCheckMs: 100 });
    // serve puts the default branch's policy in force at start-up.
    await waitFor('the policy in force', () => fx!.server.store.policies.inForce());
    const weaker = MAIN['pipelines/app.yml']!.replace(
      'approval: { approvers: [alice, bob, carol] }',
      'approval: { approvers: [alice, bob, carol], allow_self_approval: true }',
    );
    const sha = await fx.origin.commit({ 'pipelines/app.yml': weaker }, 'main');
    const store = fx.server.store;
    // Within one check of the push, with no run or decision asking.
    const proposal = await waitFor('the policy change', () => store.runs.list({ kind: 'policy' })[0]);
    expect(proposal).toMatchObject({ id: 1, status: 'waiting', sha });
    await fx.deliver('github', 'push', push('github', 'main', sha, 'bob-gh'));
    await fx.server.idle();
    expect((await gateOf(2)).policy.allowSelfApproval).toBe(false);

    const issue = await waitFor('the policy gate issue', () =>
      [...mock.state.issues].find(
        ([, i]) => i.title.includes('policy change') && i.title.includes('(run 1)'),
      ),
    );
    expect(issue[1].body).toContain('pipelines/app.yml job deploy-dev: self-approval allowed');
    // Alice wrote the change: she may not ratify it; bob may, under the policy in force.
    expect(await comment('github', 'alice-gh', issue[0])).toBe(
      `@alice-gh: not counted: alice is the author of commit ${sha.slice(0, 12)}; self-approval is not allowed.`,
    );
    expect(await comment('github', 'bob-gh', issue[0])).toBe('@bob-gh: approved by bob (1 of 1).');
    expect(store.runs.get(1)!.status).toBe('succeeded');
    expect(store.policies.inForce()).toMatchObject({ sha, runId: 1 });

    // Run 2 keeps the gate it was given; the next run of main gets the ratified one.
    finishRun(store, 2, 'canceled', 'superseded');
    const next = await fx.origin.commit({ 'app.txt': 'v4' }, 'main');
    await fx.deliver('github', 'push', push('github', 'main', next, 'bob-gh'));
    await fx.server.idle();
    expect((await gateOf(3)).policy.allowSelfApproval).toBe(true);
  });
});
