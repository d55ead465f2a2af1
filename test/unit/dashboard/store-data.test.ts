// The dashboard's view of a real SQLite store, with decisions through the real approval policy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardData } from '../../../src/dashboard/data.ts';
import { storeData } from '../../../src/dashboard/store-data.ts';
import { openDashboardStore } from '../../../src/store/dashboard-store.ts';
import { Store } from '../../../src/store/store.ts';
import { caddyDriftPlan } from '../../support/drift-plan.ts';
import { projectPolicy } from '../../support/policy.ts';

let dir: string;
let store: Store;
let data: DashboardData;
let own: ReturnType<typeof openDashboardStore>;
const decided: number[] = [];

const policy = {
  approvers: ['alice', '@acme/ops'],
  required: 1,
  allowSelfApproval: false,
  waitMs: 0,
  timeoutMs: 3_600_000,
};

function newRun(opts: { branch?: string; by?: string; author?: string } = {}): number {
  return store.runs.create({
    pipeline: 'web',
    pipelineFile: 'pipelines/web.yml',
    repoRoot: dir,
    sha: 'f'.repeat(40),
    branch: opts.branch ?? 'main',
    authorName: opts.author,
    triggeredBy: opts.by ?? 'dev',
    channel: 'cli',
    jobs: [
      { name: 'build', needs: [], steps: [{ kind: 'run', name: 'build' }] },
      {
        name: 'deploy',
        needs: ['build'],
        environment: 'prod',
        steps: [
          { kind: 'deploy', name: 'pull' },
          { kind: 'deploy', name: 'switch' },
        ],
      },
    ],
  });
}

function openGate(runId: number) {
  return store.gates.open({
    runId,
    job: 'deploy',
    policy,
    plan: [
      {
        step: 0,
        kind: 'deploy',
        name: 'pull',
        changes: [{ host: 'web1', action: 'change', subject: 'image web' }],
      },
    ],
    planHash: 'h'.repeat(64),
    sha: 'f'.repeat(40),
    reachedAt: Date.now(),
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-dashboard-data-'));
  store = new Store(join(dir, 'state.db'));
  decided.length = 0;
  own = openDashboardStore(join(dir, 'state.db'));
  data = storeData({
    store,
    facets: own.facets,
    policy: projectPolicy({
      teams: { '@acme/ops': ['olga'] },
      people: {
        alice: { dashboard: 'alice' },
        olga: { dashboard: 'olga' },
        mallory: { dashboard: 'mallory' },
      },
    }),
    environments: () => ['prod'],
    onDecision: (id) => decided.push(id),
  });
});

afterEach(() => {
  own.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard data over the store', () => {
  it('shows per-host status of the latest step that touched each host', async () => {
    const id = newRun();
    store.runs.setHostStatus(id, 'deploy', 0, 'web1', 'changed');
    store.runs.setHostStatus(id, 'deploy', 0, 'web2', 'ok');
    store.runs.setHostStatus(id, 'deploy', 1, 'web1', 'failed', 'health check timed out');
    const run = (await data.getRun(String(id), 'alice', 100))!;
    expect(run.jobs.map((j) => j.name)).toEqual(['build', 'deploy']);
    expect(run.jobs[1]!.needs).toEqual(['build']);
    expect(run.jobs[1]!.hosts).toEqual([
      { host: 'web1', status: 'failed', detail: 'health check timed out' },
      { host: 'web2', status: 'ok', detail: undefined },
    ]);
  });

  it('offers the buttons the policy would accept: approvers and team members, not others or the author', async () => {
    const id = newRun({ author: 'olga' });
    openGate(id);
    const gate = async (login: string) => (await data.getRun(String(id), login, 0))!.jobs[1]!.gate!;
    expect(await gate('alice')).toMatchObject({ canApprove: true, canReject: true, refusal: undefined });
    // olga is in @acme/ops but wrote the commit: she may stop it, not wave it through.
    expect(await gate('olga')).toMatchObject({ canApprove: false, canReject: true });
    expect((await gate('olga')).refusal).toContain('self-approval');
    expect(await gate('mallory')).toMatchObject({ canApprove: false, canReject: false });
    expect((await gate('mallory')).refusal).toContain('not among the approvers');
    expect((await gate('alice')).changes).toEqual([{ host: 'web1', action: 'change', subject: 'image web' }]);
    // Looking is not deciding: nothing was audited.
    expect(store.gates.auditTrail()).toEqual([]);
    expect((await data.pendingGates('alice')).map((g) => g.runId)).toEqual([String(id)]);
    expect(await data.pendingGates('mallory')).toEqual([]);
  });

  it('decides through the policy, audits refusals and acceptances, and tells the server to resume', async () => {
    const id = newRun();
    const gate = openGate(id);
    const refused = await data.decide({
      runId: String(id),
      job: 'deploy',
      login: 'mallory',
      decision: 'approve',
    });
    expect(refused).toEqual({ ok: false, reason: expect.stringContaining('not among the approvers') });
    expect(decided).toEqual([]);
    expect(
      await data.decide({ runId: String(id), job: 'deploy', login: 'alice', decision: 'approve' }),
    ).toMatchObject({
      ok: true,
    });
    expect(decided).toEqual([id]);
    expect(store.gates.get(gate.id)!.status).toBe('approved');
    expect(store.gates.auditTrail().map((a) => [a.actor, a.channel, a.action, a.outcome])).toEqual([
      ['mallory (dashboard:mallory)', 'dashboard', 'approve', 'refused'],
      ['alice (dashboard:alice)', 'dashboard', 'approve', 'accepted'],
    ]);
    expect((await data.decide({ runId: 'x', job: 'deploy', login: 'alice', decision: 'approve' })).ok).toBe(
      false,
    );
  });

  it('changes the state version whenever the run page would change, and reports the end', async () => {
    const id = String(newRun());
    const v0 = data.runState(id)!;
    expect(v0.final).toBe(false);
    store.runs.setJobStatus(Number(id), 'build', 'running');
    const v1 = data.runState(id)!;
    expect(v1.version).not.toBe(v0.version);
    store.runs.setHostStatus(Number(id), 'deploy', 0, 'web1', 'running');
    expect(data.runState(id)!.version).not.toBe(v1.version);
    store.runs.setStatus(Number(id), 'succeeded');
    expect(data.runState(id)!.final).toBe(true);
    expect(data.runState('404')).toBeUndefined();
  });

  it('lists runs newest first with store and in-memory filters, and pages by id', () => {
    const ids = [
      newRun(),
      newRun({ branch: 'feature' }),
      newRun({ by: 'bob' }),
      newRun({ branch: 'feature', by: 'bob' }),
    ];
    expect(data.listRuns({}, 10).map((r) => Number(r.id))).toEqual([...ids].reverse());
    expect(data.listRuns({ branch: 'feature' }, 10).map((r) => Number(r.id))).toEqual([ids[3], ids[1]]);
    expect(data.listRuns({ branch: 'feature', triggeredBy: 'bob' }, 10).map((r) => Number(r.id))).toEqual([
      ids[3],
    ]);
    expect(data.listRuns({}, 2, String(ids[2])).map((r) => Number(r.id))).toEqual([ids[1], ids[0]]);
    store.runs.setStatus(ids[0]!, 'failed');
    expect(data.listRuns({ status: 'failed' }, 10).map((r) => Number(r.id))).toEqual([ids[0]]);
    expect(data.pipelines()).toEqual(['web']);
  });

  it('tails the log by cursor and marks the release each host runs', () => {
    const id = newRun();
    store.events.append(
      [1, 2, 3].map((n) => ({ runId: id, kind: 'log' as const, job: 'build', text: `line ${n}` })),
    );
    const all = data.logsAfter(String(id), 0, 10);
    expect(all.map((l) => l.line)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(data.logsAfter(String(id), all[1]!.id, 10).map((l) => l.line)).toEqual(['line 3']);
    for (const [host, digest] of [
      ['web1', 'sha256:aaa'],
      ['web1', 'sha256:bbb'],
      ['web2', 'sha256:bbb'],
    ] as const) {
      store.releases.record({
        environment: 'prod',
        host,
        app: 'web',
        releaseId: digest,
        digest,
        configHash: 'c',
        runId: id,
      });
    }
    expect(data.releases().map((r) => [r.host, r.digest, r.current])).toEqual([
      ['web2', 'sha256:bbb', true],
      ['web1', 'sha256:bbb', true],
      ['web1', 'sha256:aaa', false],
    ]);
  });

  it('shows an environment: drift badge, released apps, what the policy lets the viewer start; audits each start', async () => {
    store.drift.record({
      pipeline: 'infra',
      environment: 'prod',
      sha: 'd'.repeat(40),
      branch: 'main',
      checkedAt: 1,
      status: 'clean',
      plan: [],
    });
    store.drift.record({
      pipeline: 'infra',
      environment: 'prod',
      sha: 'e'.repeat(40),
      branch: 'main',
      checkedAt: 2,
      status: 'drift',
      plan: caddyDriftPlan(['route /old'], 'caddy-prod', 'remove'),
    });
    store.releases.record({
      environment: 'prod',
      host: 'web1',
      app: 'web',
      releaseId: 'r1',
      digest: 'sha256:aa',
      configHash: 'h',
    });
    const starts: string[] = [];
    const withStarts = storeData({
      store,
      facets: own.facets,
      policy: projectPolicy({
        environments: { prod: { run_by: ['alice'] } },
        people: { alice: { dashboard: 'alice' }, mallory: { dashboard: 'mallory' } },
      }),
      environments: () => ['prod'],
      live: async () => ({
        apps: [{ app: 'web', host: 'web1', health: 'healthy', services: [] }],
        pipelines: ['web'],
      }),
      startRun: async (req) => {
        starts.push(req.login);
        return req.login === 'alice'
          ? { ok: true, runId: '7', message: 'run of web in prod queued' }
          : { ok: false, reason: 'not you' };
      },
    });
    expect(withStarts.environments()).toEqual([
      {
        name: 'prod',
        drift: expect.objectContaining({
          status: 'drift',
          changes: 1,
          lines: ['caddy-prod: remove web1: route /old'],
        }),
      },
    ]);
    const alice = (await withStarts.environment('prod', 'alice'))!;
    expect(alice).toMatchObject({
      canStart: true,
      releasedApps: ['web'],
      pipelines: ['web'],
      apps: [{ host: 'web1' }],
    });
    const mallory = (await withStarts.environment('prod', 'mallory'))!;
    expect(mallory).toMatchObject({
      canStart: false,
      refusal: expect.stringContaining('mallory (dashboard:mallory) may not start runs in prod'),
    });
    expect(await withStarts.environment('qa', 'alice')).toBeUndefined();

    await withStarts.startRun!({ env: 'prod', pipeline: 'web', login: 'alice' });
    await withStarts.startRun!({ env: 'prod', pipeline: 'web', login: 'mallory' });
    expect(store.gates.auditTrail().map((a) => [a.runId, a.actor, a.action, a.outcome, a.reason])).toEqual([
      [7, 'alice', 'run', 'accepted', 'web in prod: run of web in prod queued'],
      [undefined, 'mallory', 'run', 'refused', 'web in prod: not you'],
    ]);
  });
});
