import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicySource } from '../../src/approvals/policy-source.ts';
import { type TrustedPolicy, trustedPolicyOf } from '../../src/approvals/trusted-policy.ts';
import { type Pipeline, pipeline as pipelineSchema } from '../../src/config/schema/pipeline.ts';
import { project as projectSchema } from '../../src/config/schema/project.ts';
import type { OpsRepo, PipelineFile } from '../../src/config/types.ts';
import { createRun } from '../../src/engine/create-run.ts';
import { type ExecuteOptions, executeRun } from '../../src/engine/executor.ts';
import { Store } from '../../src/store/store.ts';

/** A temporary ops repository root with a store in it; `cleanup` removes both. */
export interface EngineFixture {
  dir: string;
  store: Store;
  repo: OpsRepo;
  cleanup(): void;
}

/** Makes a temp dir, a store under it and a hand-made OpsRepo (slipway.yml given as its parsed input). */
export function engineFixture(project: unknown = {}): EngineFixture {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-engine-'));
  const store = new Store(join(dir, '.slipway', 'state.db'));
  const repo: OpsRepo = {
    root: dir,
    project: projectSchema.parse(project),
    pipelines: [],
    accessFiles: new Map(),
    sitesFiles: new Map(),
    inventories: new Map(),
    keys: new Map(),
  };
  return {
    dir,
    store,
    repo,
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A typed pipeline file from a plain object, as the config loader would return it. */
export function pipelineFile(fx: EngineFixture, input: unknown): PipelineFile {
  const parsed: Pipeline = pipelineSchema.parse(input);
  return { file: join(fx.dir, 'pipelines', `${parsed.name}.yml`), pipeline: parsed, positions: new Map() };
}

/** The policy in force when the fixture's repository (with `file`, if given) is also the default branch. */
export function fixturePolicy(fx: EngineFixture, file?: PipelineFile): TrustedPolicy {
  const pipelines = file ? [file] : fx.repo.pipelines;
  return trustedPolicyOf({ ...fx.repo, pipelines }, 'refs/heads/main', 'f'.repeat(40));
}

/** A policy source that always answers `policy`. */
export function staticPolicy(policy: TrustedPolicy): PolicySource {
  return { current: async () => policy };
}

/** Creates a run of `file` at a fixed commit. */
export function startRun(
  fx: EngineFixture,
  file: PipelineFile,
  commit: { sha?: string; branch?: string; authorEmail?: string } = {},
): number {
  return createRun(fx.store, {
    repo: fx.repo,
    pipeline: file,
    commit: {
      sha: commit.sha ?? 'a'.repeat(40),
      branch: commit.branch ?? 'main',
      authorEmail: commit.authorEmail,
    },
    triggeredBy: 'tester',
    channel: 'cli',
    policy: fixturePolicy(fx, file),
  });
}

/** Executes a run with fast polling; `file` may differ from the one it started with (the repo changed). */
export function execute(
  fx: EngineFixture,
  runId: number,
  file: PipelineFile,
  extra: Partial<ExecuteOptions> = {},
) {
  return executeRun({
    store: fx.store,
    runId,
    load: async () => ({ repo: fx.repo, pipeline: file, policy: fixturePolicy(fx, file) }),
    actor: 'tester',
    pollMs: 20,
    backoffMs: 10,
    ...extra,
  });
}

/** Polls until `check` is true; throws after `timeoutMs` so a broken test cannot hang. */
export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The stored log lines of a run, in order. */
export function logLines(store: Store, runId: number): string[] {
  return store.events.after(runId, 0, 100_000, ['log']).map((e) => e.text ?? '');
}
