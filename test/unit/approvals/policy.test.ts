import { describe, expect, it } from 'vitest';
import { decide, isAuthor } from '../../../src/approvals/policy.ts';
import { configTeams, resolveTeams } from '../../../src/approvals/teams.ts';
import type { GateRecord } from '../../../src/store/types.ts';

const NOW = 1_700_000_000_000;
const gate = (over: Partial<GateRecord> = {}, policy: Partial<GateRecord['policy']> = {}): GateRecord => ({
  id: 1,
  runId: 1,
  job: 'prod',
  round: 1,
  status: 'pending',
  policy: {
    approvers: ['bob', '@acme/ops'],
    required: 1,
    allowSelfApproval: false,
    waitMs: 0,
    timeoutMs: 60_000,
    ...policy,
  },
  plan: [],
  planHash: 'h',
  sha: 'c'.repeat(40),
  reachedAt: NOW - 1000,
  opensAt: NOW - 1000,
  expiresAt: NOW + 60_000,
  approvals: [],
  ...over,
});
const teams = { '@acme/ops': ['carol'] };
const base = { commitAuthor: { email: 'alice@example.com' }, teams, now: NOW };

describe('decide', () => {
  it('accepts an approver listed by login or through a team', () => {
    expect(
      decide({ ...base, gate: gate(), actor: { login: 'bob', channel: 'cli' }, decision: 'approve' }),
    ).toEqual({
      accepted: true,
      opens: true,
      reason: 'approved by bob (1 of 1)',
    });
    expect(
      decide({ ...base, gate: gate(), actor: { login: 'Carol', channel: 'forge' }, decision: 'approve' }),
    ).toMatchObject({
      accepted: true,
    });
  });

  it('refuses an unmapped OS account, naming where to map it', () => {
    expect(
      decide({ ...base, gate: gate(), actor: { account: 'root', channel: 'cli' }, decision: 'approve' }),
    ).toEqual({
      accepted: false,
      reason: 'OS account root is not mapped to a login (add it to operators in slipway.yml)',
    });
  });

  it('refuses approvals before the wait timer ends but takes rejections', () => {
    const waiting = gate({ opensAt: NOW + 5_000 });
    expect(
      decide({ ...base, gate: waiting, actor: { login: 'bob', channel: 'cli' }, decision: 'approve' }),
    ).toMatchObject({
      accepted: false,
      reason: expect.stringContaining('wait timer'),
    });
    expect(
      decide({
        ...base,
        gate: waiting,
        actor: { login: 'bob', channel: 'cli' },
        decision: 'reject',
        reason: 'no',
      }),
    ).toMatchObject({ accepted: true });
  });

  it('refuses decisions on an expired or decided gate', () => {
    const actor = { login: 'bob', channel: 'cli' } as const;
    expect(decide({ ...base, gate: gate({ expiresAt: NOW }), actor, decision: 'approve' }).reason).toBe(
      'the gate has expired',
    );
    expect(decide({ ...base, gate: gate({ status: 'rejected' }), actor, decision: 'approve' }).reason).toBe(
      'the gate is rejected, not waiting for a decision',
    );
  });

  it('counts distinct approvers toward required', () => {
    const g = gate(
      {
        approvals: [
          {
            id: 1,
            gateId: 1,
            login: 'bob',
            channel: 'cli',
            decision: 'approve',
            sha: 's',
            planHash: 'h',
            at: NOW,
          },
        ],
      },
      { required: 2 },
    );
    expect(
      decide({ ...base, gate: g, actor: { login: 'BOB', channel: 'dashboard' }, decision: 'approve' })
        .accepted,
    ).toBe(false);
    expect(
      decide({ ...base, gate: g, actor: { login: 'carol', channel: 'cli' }, decision: 'approve' }),
    ).toMatchObject({
      accepted: true,
      opens: true,
    });
  });
});

describe('isAuthor', () => {
  it('matches the login against name, e-mail, local part and GitHub noreply addresses', () => {
    expect(isAuthor('alice', { email: 'alice@example.com' })).toBe(true);
    expect(isAuthor('alice', { email: '123+alice@users.noreply.github.com' })).toBe(true);
    expect(isAuthor('alice', { name: 'Alice' })).toBe(true);
    expect(isAuthor('alice', { name: 'Bob', email: 'bob@example.com' })).toBe(false);
  });
});

describe('configTeams', () => {
  it('resolves nested teams without looping', async () => {
    const resolver = configTeams({ '@a/ops': ['x', '@a/sre'], '@a/sre': ['y', '@a/ops'] });
    expect(await resolveTeams(['bob', '@a/ops'], resolver)).toEqual({ '@a/ops': ['x', 'y'] });
  });
});
