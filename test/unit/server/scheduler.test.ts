import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleEntry } from '../../../src/config/schema/pipeline.ts';
import { Scheduler } from '../../../src/server/scheduler.ts';
import { Deliveries } from '../../../src/store/deliveries.ts';
import { Checkouts } from '../../../src/triggers/checkout.ts';
import { createGitOrigin, type GitOrigin } from '../../support/git-origin.ts';

let origin: GitOrigin;
let dir: string;
let deliveries: Deliveries;
let sha: string;
const logs: string[] = [];
let woken = 0;

beforeAll(async () => {
  origin = await createGitOrigin();
  sha = await origin.commit({ 'a.txt': 'a' });
  dir = await mkdtemp(join(tmpdir(), 'slipway-scheduler-'));
  deliveries = new Deliveries(join(dir, 'state.db'));
});
afterAll(async () => {
  deliveries?.close();
  await origin?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const scheduler = () =>
  new Scheduler({
    pipelines: [],
    checkouts: new Checkouts({ cacheDir: join(dir, 'cache.git'), workRoot: join(dir, 'work') }),
    repoUrl: origin.url,
    deliveries,
    received: () => woken++,
    log: (line) => logs.push(line),
  });

describe('Scheduler.fire', () => {
  it("records the due entry with the branch's head once per due time", async () => {
    const s = scheduler();
    const at = new Date('2026-03-01T03:00:00Z');
    const entry = scheduleEntry.parse({ cron: '0 3 * * *', mode: 'plan' });
    await s.fire('infra', 1, entry, at);
    await s.fire('infra', 1, entry, at);
    const [d, ...more] = deliveries.pending(10);
    expect(more).toEqual([]);
    expect(d).toMatchObject({ id: 'schedule:infra:1:2026-03-01T03:00:00.000Z', event: 'schedule' });
    expect(JSON.parse(d!.payload)).toEqual({
      pipeline: 'infra',
      index: 1,
      branch: 'main',
      sha,
      mode: 'plan',
      at: '2026-03-01T03:00:00.000Z',
    });
    expect(woken).toBe(1);
    await s.stop();
  });

  it('says so when the branch does not exist, and records nothing', async () => {
    const s = scheduler();
    const before = deliveries.pending(10).length;
    await s.fire('infra', 0, scheduleEntry.parse({ cron: '@daily', branch: 'gone' }), new Date());
    expect(deliveries.pending(10)).toHaveLength(before);
    expect(logs.at(-1)).toMatch(/^schedule infra\[0\] at .*: gone does not exist on the origin$/);
    await s.stop();
  });
});
