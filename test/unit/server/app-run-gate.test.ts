// An app repository's run through the whole of `slipway serve`: webhook, intake, worker, the gate of its
// environment from the ops default branch, an approval over the forge (mocked with msw; the server, store,
// git origins, worker and policy are real), and the worker reloading the run from its recorded trees.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { planHash } from '../../../src/approvals/plan-hash.ts';
import { appPush, gatedOpsFiles } from '../../support/app-repos.ts';
import { mockedForge, useForgeApiMock } from '../../support/forge-api-mock.ts';
import type { GitOrigin } from '../../support/git-origin.ts';
import { createGitOrigin } from '../../support/git-origin.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { waitFor } from '../../support/wait-for.ts';
import { commentPayload } from '../../support/webhook-payloads.ts';

let fx: ServeFixture | undefined;
let app: GitOrigin | undefined;
const mock = useForgeApiMock(async () => {
  await fx?.close();
  await app?.cleanup();
  fx = app = undefined;
});

/** The ops repository: dev gated by alice or @acme/ops in its own pipeline; app notes registered for dev. */
const opsFiles = (appUrl: string) =>
  gatedOpsFiles(appUrl, {
    teams: '{ "@acme/ops": [bob] }',
    people: '{ alice: { github: alice }, bob: { github: bob }, mallory: { github: mallory } }',
    approval: '{ approvers: [alice, "@acme/ops"], required: 1 }',
  });

/** The app's pipeline names its own approver: the gate must not take it. */
const APP_PIPELINE = [
  'name: notes',
  'on: { push: { branches: [main] } }',
  'jobs:',
  '  build: { steps: [ { run: { command: ["true"] } } ] }',
  '  deploy:',
  '    needs: [build]',
  '    environment: dev',
  '    approval: { approvers: [mallory], allow_self_approval: true }',
  '    steps: [ { run: { command: ["true"] } } ]',
  '',
].join('\n');

describe('an app repository run behind the gate of its environment', () => {
  it('waits at the ops gate bound to the app and ops commits, is approved over the forge, and finishes', async () => {
    mock.state.collaborators = { alice: 'write', bob: 'write', mallory: 'write' };
    app = await createGitOrigin();
    fx = await startServeFixture(
      {
        repository: 'acme/ops',
        worker: { concurrency: 2, pollMs: 50, graceMs: 5_000 },
        forge: {
          forge: mockedForge('github'),
          repo: { owner: 'acme', repo: 'ops' },
          environmentUrls: {},
          pollMs: 50,
        },
      },
      opsFiles(app.url),
    );
    const sha = await app.commit({ '.slipway/pipeline.yml': APP_PIPELINE });
    const opsSha = (await execa('git', ['ls-remote', fx.origin.url, 'refs/heads/main'])).stdout.split(
      '\t',
    )[0]!;
    expect((await fx.deliver('github', 'push', appPush(sha))).status).toBe(202);

    const issue = await waitFor('the approval issue', () => mock.state.issues.get(1));
    expect(issue.title).toBe(`Approve notes / deploy to dev at ${sha.slice(0, 7)} (run 1)`);
    const [gate] = fx.server.store.gates.ofRun(1);
    expect(gate!.policy.approvers).toEqual(['alice', '@acme/ops']);
    expect(gate!.sha).toBe(sha);
    expect(gate!.planHash).toBe(planHash(sha, gate!.plan, opsSha));

    for (const login of ['mallory', 'bob']) {
      const comment = commentPayload('github', {
        action: 'created',
        repository: 'acme/ops',
        issue: 1,
        login,
        body: '/approve',
      });
      expect((await fx.deliver('github', 'issue_comment', comment)).status).toBe(202);
      await fx.server.idle();
    }
    const run = await waitFor('the run to finish', () => {
      const r = fx!.server.store.runs.get(1);
      return r && ['succeeded', 'failed'].includes(r.status) && r;
    });
    expect(run.status, run.reason).toBe('succeeded');
    expect(run.app).toMatchObject({ name: 'notes', opsSha });
    expect(fx.server.store.gates.auditTrail(1).map((a) => [a.actor, a.outcome])).toEqual([
      ['mallory (github:mallory)', 'refused'],
      ['bob (github:bob)', 'accepted'],
    ]);
    // The app's commit is not in the ops repository: no commit statuses or deployments are reported there.
    await fx.server.idle();
    expect(mock.state.statuses.filter((s) => s.context.startsWith('slipway/notes/'))).toEqual([]);
    expect(mock.state.deployments).toEqual([]);
  });
});
