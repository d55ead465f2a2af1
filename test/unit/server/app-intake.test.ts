// Pushes of app repositories into `slipway serve`: a real serve in this process, real origins (ops, app), a
// real store; the app's pipeline is loaded at the pushed commit under the ops default branch's config.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../../src/config/load-repo.ts';
import { loadRunTrees } from '../../../src/triggers/run-trees.ts';
import { appPipeline, appPush, DEV_INVENTORY, startAppServe } from '../../support/app-repos.ts';
import { slipway } from '../../support/slipway-cli.ts';
import { waitFor } from '../../support/wait-for.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start(o: Parameters<typeof startAppServe>[0] = {}) {
  const started = await startAppServe(o);
  close = started.close;
  return started;
}

describe('slipway serve: pushes of a registered app repository', () => {
  it('queues a run of the app pipeline at the pushed commit, recording the ops commit it runs under', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    const opsHead = (await execa('git', ['ls-remote', fx.origin.url, 'refs/heads/main'])).stdout.split(
      '\t',
    )[0];
    expect((await fx.deliver('github', 'push', appPush(sha))).status).toBe(202);
    await fx.server.idle();
    const [run] = fx.server.store.runs.list();
    expect(run).toMatchObject({
      pipeline: 'notes',
      pipelineFile: '.slipway/pipeline.yml',
      sha,
      branch: 'main',
    });
    expect(run!.repoRoot.endsWith(`/work/${sha}`)).toBe(true);
    expect(run!.app).toMatchObject({ name: 'notes', opsSha: opsHead });
    expect(run!.app?.opsRoot.endsWith(`/work/${opsHead}`)).toBe(true);
    expect(fx.logs.some((l) => l.includes(`queued run ${run!.id} of notes`))).toBe(true);
  });

  it('reloads a run from its recorded app and ops trees, not from what the ops repository holds now', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    const [run] = fx.server.store.runs.list();
    // The ops repository moves on: dev gets a second host.
    await fx.origin.commit({ 'inventories/dev/hosts.yml': DEV_INVENTORY.two });
    const loaded = await loadRunTrees(run!, run!.app!.opsRoot);
    if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
    expect(loaded.repo.root).toBe(run!.repoRoot);
    expect(loaded.repo.opsRoot).toBe(run!.app!.opsRoot);
    expect([...loaded.repo.inventories.get('dev')!.hosts.keys()]).toEqual(['web01']);
    expect(loaded.repo.pipelines.map((p) => p.file)).toEqual(['.slipway/pipeline.yml']);
  });

  it('refuses an app pipeline with an ssh-keys step: those run only from the ops repository', async () => {
    const { fx, app } = await start();
    const pipeline = appPipeline().replace(
      '    steps: [ { run: { command: ["true"] } } ]',
      '    steps: [ { ssh-keys: { hosts: all } } ]',
    );
    const sha = await app.commit({ '.slipway/pipeline.yml': pipeline });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored: app notes'))).toContain(
      'expected a build, push, deploy, sync or approval step in an app pipeline, got a ssh-keys step',
    );
  });

  it.each([
    [
      'a docker-host step (a kind outside the allowed list)',
      '    steps: [ { docker-host: { hosts: all } } ]',
      'expected a build, push, deploy, sync or approval step in an app pipeline, got a docker-host step',
    ],
    [
      "a sync to a target that is not the app's own",
      '    steps: [ { sync: { hosts: all, source: .slipway, to: docs } } ]',
      'expected "notes" or a name starting with "notes-", got "docs"',
    ],
  ])('refuses an app pipeline with %s', async (_what, steps, message) => {
    const { fx, app } = await start();
    const pipeline = appPipeline().replace('    steps: [ { run: { command: ["true"] } } ]', steps);
    const sha = await app.commit({ '.slipway/pipeline.yml': pipeline });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored: app notes'))).toContain(message);
  });

  it('says so when the app commit has no pipeline file', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ 'README.md': 'notes' });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored: app notes'))).toContain(
      'app "notes" has no pipeline file .slipway/pipeline.yml at this commit',
    );
  });

  it('re-runs a failed app run from the CLI in its recorded trees, under the same ops commit', async () => {
    const { fx, app } = await start({ worker: true });
    // The deploy job fails until the runner holds a file outside the repository.
    const marker = join(fx.dir, 'ready');
    const sha = await app.commit({
      '.slipway/pipeline.yml': appPipeline().replace(
        '    steps: [ { run: { command: ["true"] } } ]',
        `    steps: [ { run: { command: ["test", "-e", "${marker}"] } } ]`,
      ),
    });
    await fx.deliver('github', 'push', appPush(sha));
    const failed = await waitFor('the run to fail', () => fx.server.store.runs.get(1)?.status === 'failed');
    expect(failed).toBe(true);
    // The CLI executes the re-run itself: serve takes deliveries only from here on.
    await fx.restart({ worker: false });
    // The ops repository moves on meanwhile: the re-run still runs under the ops commit run 1 recorded.
    await fx.origin.commit({ 'inventories/dev/hosts.yml': DEV_INVENTORY.two });
    await writeFile(marker, '');
    const ops = join(fx.dir, 'ops');
    await execa('git', ['clone', '--quiet', fx.origin.url, ops]);
    const r = await slipway(['-C', ops, 'rerun', '1'], { SLIPWAY_STATE: join(fx.dir, 'state.db') });
    expect(r.code, r.stderr).toBe(0);
    const [first, rerun] = [fx.server.store.runs.get(1)!, fx.server.store.runs.get(2)!];
    expect(rerun).toMatchObject({
      status: 'succeeded',
      rerunOf: 1,
      sha,
      repoRoot: first.repoRoot,
      app: first.app,
    });
  });
});
