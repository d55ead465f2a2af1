import { describe, expect, it } from 'vitest';
import { gateView } from '../../../../src/dashboard/views/gate.ts';
import type { GateView } from '../../../../src/dashboard/views/model.ts';

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
