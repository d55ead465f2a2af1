import { afterEach, describe, expect, it } from 'vitest';
import { pipeline } from '../../../src/config/schema/pipeline.ts';
import type { PipelineFile } from '../../../src/config/types.ts';
import { OPS_FILES, type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';

let fx: ServeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const POLLED = [
  'name: nightly',
  'on: { poll: { interval: 1h, branch: main } }',
  'jobs:',
  '  check: { steps: [ { run: { command: ["true"] } } ] }',
  '',
].join('\n');

function pollFile(): PipelineFile {
  return {
    file: 'pipelines/nightly.yml',
    pipeline: pipeline.parse({
      name: 'nightly',
      on: { poll: { interval: '1h', branch: 'main' } },
      jobs: { check: { steps: [{ run: { command: ['true'] } }] } },
    }),
    positions: new Map(),
  };
}

describe('slipway serve: polling trigger', () => {
  it('runs the head of the branch once, then each new commit once', async () => {
    fx = await startServeFixture(
      { pollPipelines: [pollFile()] },
      { ...OPS_FILES, 'pipelines/nightly.yml': POLLED },
    );
    // The first poll happens at start.
    await fx.server.poller.pollOnce('nightly', 'main');
    await fx.server.idle();
    const first = fx.server.store.runs.list();
    expect(first.map((r) => [r.pipeline, r.triggeredBy, r.authorName])).toEqual([
      ['nightly', 'poll', 'Alice'],
    ]);

    await fx.server.poller.pollOnce('nightly', 'main');
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toHaveLength(1);

    const sha = await fx.origin.commit({ 'app.txt': 'v3' });
    await fx.server.poller.pollOnce('nightly', 'main');
    await fx.server.idle();
    const runs = fx.server.store.runs.list();
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ pipeline: 'nightly', sha, branch: 'main' });
    expect(fx.logs.some((l) => l.includes(`poll nightly: new commit ${sha.slice(0, 12)}`))).toBe(true);
  });
});
