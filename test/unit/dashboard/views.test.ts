import { describe, expect, it } from 'vitest';
import { gateView } from '../../../src/dashboard/views/gate.ts';
import type { GateView, RunDetail } from '../../../src/dashboard/views/model.ts';
import { releasesPage } from '../../../src/dashboard/views/pages.ts';
import { runPage } from '../../../src/dashboard/views/run.ts';
import { runsPage } from '../../../src/dashboard/views/runs.ts';

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

describe('gate view', () => {
  it('shows the plan grouped by host, escaped, and both forms with the CSRF token when the policy allows', () => {
    const out = gateView(gate, viewer).text;
    expect(out).toContain('<h4>web1</h4>');
    expect(out).toContain('<h4>runner</h4>');
    expect(out).toContain('authorized_keys root: &lt;alice&gt;');
    expect(out).toContain('action="/runs/7/jobs/deploy-prod/approve"');
    expect(out).toContain('action="/runs/7/jobs/deploy-prod/reject"');
    expect(out.match(/name="_csrf" value="tok123"/g)).toHaveLength(2);
    expect(out).toMatch(/<input name="reason" required/);
  });

  it('shows no form, only the policy reason, when the viewer may not decide', () => {
    const out = gateView(
      { ...gate, canApprove: false, canReject: false, refusal: 'mallory is not an approver' },
      viewer,
    ).text;
    expect(out).not.toContain('<form');
    expect(out).toContain('mallory is not an approver');
  });

  it('shows neither forms nor refusal once decided', () => {
    const out = gateView(
      {
        ...gate,
        status: 'rejected',
        canApprove: false,
        canReject: false,
        decisions: [{ login: 'bob', decision: 'reject', channel: 'dashboard', reason: 'not <today>', at: 0 }],
      },
      viewer,
    ).text;
    expect(out).not.toContain('<form');
    expect(out).toContain('bob via dashboard');
    expect(out).toContain('not &lt;today&gt;');
  });
});

describe('pages', () => {
  it('runs page links each run, marks status, and offers older runs', () => {
    const out = runsPage({
      viewer,
      runs: [
        {
          id: '2',
          pipeline: 'web',
          sha: '1234567890',
          branch: 'main',
          triggeredBy: 'alice',
          rollbackTo: '20261201-100000-aaaaaaa',
          status: 'running',
          createdAt: 0,
          startedAt: 0,
        },
        {
          id: '1',
          pipeline: 'web',
          sha: 'abcdef0000',
          branch: 'main',
          triggeredBy: '<x>',
          status: 'failed',
          createdAt: 0,
          startedAt: 0,
          finishedAt: 90_000,
        },
      ],
      filter: { status: 'failed' },
      pipelines: ['web'],
      next: '/?before=1',
      now: 30_000,
    }).text;
    expect(out).toContain('<a href="/runs/2">2</a>');
    expect(out).toContain('<span class="rollback">rollback to 20261201-100000-aaaaaaa</span>');
    expect(out.match(/class="rollback"/g)).toHaveLength(1);
    expect(out).toContain('<code>1234567</code>');
    expect(out).toContain('&lt;x&gt;');
    expect(out).toContain('<option value="failed" selected>');
    expect(out).toContain('1m 30s');
    expect(out).toContain('href="/?before=1"');
  });

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
});

describe('releases page', () => {
  const release = {
    id: 'r2',
    environment: 'prod',
    host: 'web1',
    app: 'web',
    digest: `sha256:${'ab'.repeat(32)}`,
    runId: '9',
    by: 'alice',
    at: 0,
    current: true,
  };

  it('groups by environment, marks the running release, and offers rollback only when the server can start one', () => {
    const withRollback = releasesPage(viewer, [release, { ...release, id: 'r1', current: false }], true).text;
    expect(withRollback).toContain('<section class="releases" data-env="prod">');
    expect(withRollback.match(/action="\/releases\/prod\/web\/rollback"/g)).toHaveLength(1);
    expect(withRollback).toContain('name="_csrf" value="tok123"');
    expect(withRollback.match(/class="current"/g)).toHaveLength(1);
    expect(withRollback).toContain(`<code title="${release.digest}">${'ab'.repeat(6)}</code>`);
    expect(releasesPage(viewer, [release], false).text).not.toContain(
      '<form method="post" action="/releases',
    );
  });
});
