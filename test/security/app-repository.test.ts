// Attacks through app repositories on `slipway serve`: a real serve in this process, real origins (ops, app,
// an attacker's), a real store. A push from an unregistered repository, an app pipeline reaching for an
// environment the ops repository does not allow it, a branch the environment does not admit, and a payload
// naming its own clone URL: each queues nothing, and says why.
import { afterEach, describe, expect, it } from 'vitest';
import { APP_WEBHOOK_SECRET, appPipeline, appPush, opsFiles, startAppServe } from '../support/app-repos.ts';
import { createGitOrigin, type GitOrigin } from '../support/git-origin.ts';
import { startServeFixture } from '../support/serve-fixture.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function start(o: Parameters<typeof startAppServe>[0] = {}) {
  const started = await startAppServe(o);
  cleanups.push(started.close);
  return started;
}

async function attackerOrigin(): Promise<GitOrigin> {
  const evil = await createGitOrigin();
  cleanups.push(evil.cleanup);
  return evil;
}

describe("app repositories' webhook route: what its secret, which app repositories hold, may not sign", () => {
  const viaApps = { apps: true, secret: APP_WEBHOOK_SECRET };

  it("takes a registered app's push, and queues nothing for a push it names as the ops repository's", async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    expect((await fx.deliver('github', 'push', appPush(sha), viaApps)).status).toBe(202);
    await fx.server.idle();
    expect(fx.server.store.runs.list().map((r) => r.sha)).toEqual([sha]);
    const ops = await fx.origin.commit({ 'README.md': 'x' });
    expect((await fx.deliver('github', 'push', appPush(ops, 'acme/ops'), viaApps)).status).toBe(202);
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toHaveLength(1);
    expect(fx.logs.find((l) => l.includes("through the app repositories' route"))).toContain(
      "push to acme/ops through the app repositories' route: not an app registered in slipway.yml",
    );
  });

  it('takes no comment (comments carry approvals), and its secret signs nothing on the ops route', async () => {
    const { fx } = await start();
    const comment = {
      action: 'created',
      issue: { number: 1 },
      comment: { id: 1, body: '/approve', user: { login: 'alice' } },
      repository: { full_name: 'acme/ops' },
    };
    const answer = await fx.deliver('github', 'issue_comment', comment, viaApps);
    expect(answer.status).toBe(202);
    expect(answer.body).toContain('this route takes pushes of app repositories only, not issue_comment');
    expect(fx.server.deliveries.pending(10)).toEqual([]);
    const forged = await fx.deliver('github', 'issue_comment', comment, { secret: APP_WEBHOOK_SECRET });
    expect(forged.status).toBe(401);
  });
});

describe('app repositories: what a push may not do', () => {
  it('a push from a repository that is neither the ops repository nor registered queues nothing', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    await fx.deliver('github', 'push', appPush(sha, 'mallory/notes'));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored'))).toContain(
      'push to mallory/notes: neither the ops repository acme/ops nor an app registered in slipway.yml on refs/heads/main',
    );
  });

  it('an app pipeline deploying to an environment the ops repository does not allow the app is refused at its file:line', async () => {
    const { fx, app } = await start({ envs: '[dev]' });
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline('prod') });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored: app notes'))).toContain(
      '.slipway/pipeline.yml:7:18: jobs.deploy.environment: app "notes" may not deploy to environment "prod": ' +
        'slipway.yml on the default branch allows it dev',
    );
  });

  it("an app's branch the environment does not admit queues nothing (the ops repository's branch rules apply)", async () => {
    const { fx, app } = await start({ devBranches: '[main]' });
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() }, 'feature');
    await fx.deliver('github', 'push', appPush(sha, 'acme/notes', 'feature'));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('not starting notes'))).toContain(
      'branch feature may not deploy to dev',
    );
  });

  it("a payload's clone URL is never fetched from: only the registered url is", async () => {
    const { fx, app } = await start();
    await app.commit({ 'README.md': 'notes' });
    // The attacker's repository holds a pipeline of its own; the payload points there.
    const evil = await attackerOrigin();
    const sha = await evil.commit({ '.slipway/pipeline.yml': appPipeline() });
    const payload = appPush(sha);
    payload.repository.clone_url = evil.url;
    payload.repository.git_url = evil.url;
    payload.repository.ssh_url = evil.url;
    await fx.deliver('github', 'push', payload);
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    const failed = fx.logs.find((l) => l.includes('failed'));
    expect(failed).toContain(`commit ${sha} is not on ${app.url}`);
    expect(failed).not.toContain(evil.url);
  });

  it('without --repository, a push of an unregistered repository is not taken as the ops repository while apps are registered', async () => {
    const app = await attackerOrigin();
    // serve as before --repository became required with apps: the intake itself refuses too.
    const fx = await startServeFixture({}, opsFiles(app.url));
    cleanups.push(fx.close);
    const evil = await fx.origin.commit(
      { 'pipelines/evil.yml': appPipeline().replace('name: notes', 'name: evil') },
      'evil',
    );
    await fx.deliver('github', 'push', appPush(evil, 'mallory/ops', 'evil'));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored'))).toContain(
      'push to mallory/ops: slipway.yml on refs/heads/main registers apps (notes) but serve has no --repository owner/name',
    );
  });
});
