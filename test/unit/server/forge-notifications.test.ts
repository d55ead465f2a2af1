import { describe, expect, it } from 'vitest';
import type { ForgeKind } from '../../../src/forge/types.ts';
import { caddyDriftPlan } from '../../support/drift-plan.ts';
import { mockedForge, useForgeApiMock } from '../../support/forge-api-mock.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { waitFor } from '../../support/wait-for.ts';
import { commentPayload, pushPayload } from '../../support/webhook-payloads.ts';

// Approvers reached on the forge: mentioned and assigned on gate and drift issues, mentioned when a run
// they gated fails. The forge is the only thing mocked (msw, real payload shapes).

let fx: ServeFixture | undefined;
const mock = useForgeApiMock(async () => {
  await fx?.close();
  fx = undefined;
});

const REPO = { owner: 'acme', repo: 'ops' };
const files = (forgeSection = '') => ({
  'slipway.yml': [
    'environments: { dev: {} }',
    'teams: { "@acme/ops": [bob, carol] }',
    'people:',
    '  alice: { github: alice-gh, gitea: alice-gt }',
    '  bob: { github: bob-gh, gitea: bob-gt }',
    '  carol: { github: carol-gh, gitea: carol-gt }',
    '  dave: {}',
    forgeSection,
    '',
  ].join('\n'),
  'inventories/dev/hosts.yml': 'all:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n',
  'pipelines/app.yml': [
    'name: app',
    'on: { push: { branches: [main] } }',
    'jobs:',
    '  deploy-dev:',
    '    environment: dev',
    '    approval: { approvers: [alice, dave, "@acme/ops"], required: 1 }',
    '    steps: [ { name: release, run: { command: ["false"] } } ]',
    '',
  ].join('\n'),
});

async function start(kind: ForgeKind, forgeSection?: string): Promise<ServeFixture> {
  return startServeFixture(
    {
      worker: { concurrency: 2, pollMs: 50, graceMs: 5_000 },
      forge: {
        forge: mockedForge(kind),
        repo: REPO,
        environmentUrls: {},
        pollMs: 50,
      },
      notifications: { environmentUrl: (env) => `https://slipway.example.com/environments/${env}` },
    },
    files(forgeSection),
  );
}

async function push(kind: ForgeKind): Promise<string> {
  const sha = await fx!.origin.commit({ 'app.txt': String(Math.random()) });
  const p = pushPayload(kind, { ref: 'refs/heads/main', after: sha, authorLogin: 'someone' });
  p.repository.full_name = 'acme/ops';
  expect((await fx!.deliver(kind, 'push', p)).status).toBe(202);
  return sha;
}

const login = (kind: ForgeKind, person: string) => `${person}-${kind === 'github' ? 'gh' : 'gt'}`;

describe.each(['github', 'gitea'] as const)('approvers on the forge: %s', (kind: ForgeKind) => {
  it("mentions and assigns the gate's approvers by their logins on this forge, teams expanded", async () => {
    mock.state.collaborators = {
      [login(kind, 'alice')]: 'write',
      [login(kind, 'bob')]: 'write',
      [login(kind, 'carol')]: 'admin',
    };
    fx = await start(kind);
    await push(kind);
    const issue = await waitFor('the approval issue', () => mock.state.issues.get(1));
    const logins = ['alice', 'bob', 'carol'].map((p) => login(kind, p));
    expect(issue.assignees).toEqual(logins);
    expect(issue.body).toContain(`cc ${logins.map((l) => `@${l}`).join(' ')}`);
    // dave has no login here: named in the approvers, mentioned nowhere.
    expect(issue.body).toContain('`alice`, `dave`, `@acme/ops`');
  });

  it('opens the issue unassigned when the forge refuses an assignee, and mentions them still', async () => {
    mock.state.collaborators = { [login(kind, 'alice')]: 'write' };
    fx = await start(kind);
    await push(kind);
    const issue = await waitFor('the approval issue', () => mock.state.issues.get(1));
    expect(issue.assignees).toEqual([]);
    expect(issue.body).toContain(`@${login(kind, 'bob')}`);
  });

  it('mentions nobody when notifications.forge says so, and tells the approvers on the issue when their run fails', async () => {
    mock.state.collaborators = {
      [login(kind, 'alice')]: 'write',
      [login(kind, 'bob')]: 'write',
      [login(kind, 'carol')]: 'write',
    };
    fx = await start(kind, 'notifications: { forge: { mention: false, assign: false } }');
    await push(kind);
    const issue = await waitFor('the approval issue', () => mock.state.issues.get(1));
    expect(issue.assignees).toEqual([]);
    expect(issue.body).not.toContain('cc @');
    await fx.close();

    fx = await start(kind);
    await push(kind);
    const second = await waitFor('the second approval issue', () => mock.state.issues.get(2));
    const res = await fx.deliver(
      kind,
      'issue_comment',
      commentPayload(kind, {
        action: 'created',
        repository: 'acme/ops',
        issue: 2,
        login: login(kind, 'bob'),
        body: '/approve',
      }),
    );
    expect(res.status).toBe(202);
    const told = await waitFor('the failure comment', () =>
      second.comments.find((c) => c.body.includes('failed')),
    );
    expect(told.body).toMatch(
      new RegExp(
        `^@${login(kind, 'alice')} @${login(kind, 'bob')} @${login(kind, 'carol')}: run \\d+ failed: deploy-dev: `,
      ),
    );
  });

  it('keeps one drift issue per environment: opened and assigned, told of new drift, closed when in sync', async () => {
    mock.state.collaborators = {
      [login(kind, 'alice')]: 'write',
      [login(kind, 'bob')]: 'write',
      [login(kind, 'carol')]: 'write',
    };
    fx = await start(kind);
    const { store, reporter } = fx.server;
    const check = (status: 'drift' | 'clean', subjects: string[]) =>
      store.drift.record({
        pipeline: 'infra',
        environment: 'dev',
        sha: 'd'.repeat(40),
        branch: 'main',
        checkedAt: 1,
        status,
        plan: caddyDriftPlan(subjects),
      });

    await reporter!.reportDrift(check('drift', ['route app.test /']));
    const issue = mock.state.issues.get(1)!;
    expect(issue.title).toBe('Drift in dev: 1 change (infra)');
    expect(issue.labels).toEqual(['slipway-drift']);
    expect(issue.assignees).toEqual(['alice', 'bob', 'carol'].map((p) => login(kind, p)));
    expect(issue.body).toContain('- web1: change route app.test /');
    expect(issue.body).toContain('Environment: https://slipway.example.com/environments/dev');

    await reporter!.reportDrift(check('drift', ['route app.test /']));
    expect(issue.comments).toEqual([]);
    await reporter!.reportDrift(check('drift', ['route app.test /', 'route app.test /x']));
    expect(issue.comments.map((c) => c.body)).toEqual([
      expect.stringContaining('found 2 changes in **dev**'),
    ]);
    await reporter!.reportDrift(check('clean', []));
    expect(issue.state).toBe('closed');
    expect(mock.state.issues.size).toBe(1);
    const states = mock.state.statuses
      .filter((s) => s.context === 'slipway/infra/drift/dev')
      .map((s) => s.state);
    expect(states).toEqual(['failure', 'failure', 'failure', 'success']);
  });
});
