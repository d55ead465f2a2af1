import { afterEach, describe, expect, it } from 'vitest';
import { createRun } from '../../../src/engine/create-run.ts';
import {
  type EngineFixture,
  engineFixture,
  fixturePolicy,
  pipelineFile,
} from '../../support/engine-fixture.ts';

let fx: EngineFixture;
afterEach(() => fx?.cleanup());

const PROJECT = {
  environments: { prod: { run_by: ['alice'] } },
  people: { alice: { dashboard: 'alice', os: ['root'] }, mallory: { dashboard: 'mallory' } },
};
const pipeline = (manual: boolean) => ({
  name: 'web',
  on: { manual },
  jobs: { deploy: { environment: 'prod', steps: [{ run: { command: ['true'] } }] } },
});

/** What a run that repeats its trigger's work names: the job it runs alone, and what it repeats. */
const ALONE = {
  rollback: { rollback: { ledgerId: 1, releaseId: 'r1', digest: 'sha256:x' } },
  restore: { restoreBackup: 1 },
  rerun: { rerunOf: 1 },
};

function start(
  manual: boolean,
  channel: 'cli' | 'dashboard' | 'forge',
  login: string,
  alone?: keyof typeof ALONE,
) {
  fx ??= engineFixture(PROJECT);
  const file = pipelineFile(fx, pipeline(manual));
  return () =>
    createRun(fx.store, {
      repo: fx.repo,
      pipeline: file,
      commit: { sha: 'a'.repeat(40), branch: 'main' },
      triggeredBy: login,
      triggerIdentity: {
        channel: channel === 'forge' ? 'github' : channel === 'cli' ? 'os' : 'dashboard',
        login,
      },
      channel,
      policy: fixturePolicy(fx, file),
      ...(alone ? { jobs: ['deploy'], ...ALONE[alone] } : {}),
    });
}

describe('createRun: who may start a run by hand', () => {
  it('refuses a pipeline with on.manual: false by hand, not from a push, nor a rollback, restore or re-run of it', () => {
    fx = engineFixture(PROJECT);
    expect(start(false, 'cli', 'root')).toThrow('pipeline web is not started by hand (on.manual: false)');
    expect(start(false, 'dashboard', 'alice')).toThrow('on.manual: false');
    expect(start(false, 'forge', 'someone')()).toBeGreaterThan(0);
    expect(start(false, 'dashboard', 'alice', 'rollback')()).toBeGreaterThan(0);
    expect(start(false, 'cli', 'root', 'restore')()).toBeGreaterThan(0);
    expect(start(false, 'dashboard', 'alice', 'rerun')()).toBeGreaterThan(0);
  });

  it('refuses a person run_by does not name, on the CLI and the dashboard, and records nothing', () => {
    fx = engineFixture(PROJECT);
    expect(start(true, 'dashboard', 'mallory')).toThrow(
      /mallory \(dashboard:mallory\) may not start runs in prod: .* lets alice$/,
    );
    expect(start(true, 'cli', 'deploy')).toThrow(/^os:deploy may not start runs in prod/);
    expect(fx.store.runs.list()).toEqual([]);
    expect(start(true, 'dashboard', 'alice')()).toBeGreaterThan(0);
    expect(start(true, 'cli', 'root')()).toBeGreaterThan(0);
  });
});
