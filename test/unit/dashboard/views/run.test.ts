import { describe, expect, it } from 'vitest';
import type { GateView, RunDetail } from '../../../../src/dashboard/views/model.ts';
import { runPage } from '../../../../src/dashboard/views/run.ts';

const viewer = { login: 'alice', csrf: 'tok123' };
const gate: GateView = {
  runId: '7',
  job: 'deploy-prod',
  status: 'pending',
  sha: 'abcdef0123456789',
  planHash: 'f00dbabe'.repeat(8),
  changes: [
    { host: 'web1', action: 'add', subject: 'authorized_keys root: <alice>' },
    { action: 'run', subject: 'echo hi', detail: 'argv: ["echo","hi"]' },
  ],
  required: 1,
  approvers: ['alice', '@acme/ops'],
  decisions: [],
  canApprove: true,
  canReject: true,
};

describe('run page', () => {
  it('run page follows a live run over SSE from the last log line, and not a finished one', () => {
    const run: RunDetail = {
      id: '7',
      pipeline: 'web',
      sha: 'abcdef0123',
      branch: 'main',
      triggeredBy: 'alice',
      status: 'waiting',
      createdAt: 0,
      version: 'v1',
      jobs: [
        {
          name: 'build',
          needs: [],
          status: 'succeeded',
          hosts: [{ host: 'web1', status: 'changed' }],
          startedAt: 0,
          finishedAt: 5,
        },
        { name: 'deploy-prod', needs: ['build'], status: 'waiting', hosts: [], gate },
      ],
      logs: [{ id: 41, stream: 'stdout', line: '<b>hi</b>', at: 0, job: 'build' }],
    };
    const out = runPage({ viewer, run, now: 10 }).text;
    expect(out).toContain('data-events="/runs/7/events" data-cursor="41" data-follow="1"');
    expect(out).toContain('<script src="/assets/live.js" defer></script>');
    expect(out).toContain('class="chip st-changed"');
    expect(out).toContain('&lt;b&gt;hi&lt;/b&gt;');
    expect(out).toContain('<svg class="graph"');
    expect(runPage({ viewer, run: { ...run, status: 'succeeded' }, now: 10 }).text).toContain(
      'data-follow="0"',
    );
  });

  it("names an app repository's run's app commit and the ops commit it ran under", () => {
    const run: RunDetail = {
      id: '8',
      pipeline: 'notes',
      sha: 'abcdef0123',
      branch: 'main',
      triggeredBy: 'alice',
      status: 'succeeded',
      createdAt: 0,
      version: 'v1',
      app: { name: 'notes<x>', opsSha: '0123456789abcdef' },
      jobs: [],
      logs: [],
    };
    const out = runPage({ viewer, run, now: 10 }).text;
    expect(out).toContain('app notes&lt;x&gt; commit <code>abcdef0</code> on main');
    expect(out).toContain('ops commit <code id="ops-sha">0123456</code>');
  });
});
