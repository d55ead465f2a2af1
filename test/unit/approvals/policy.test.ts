import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../src/approvals/people.ts';
import { type Actor, decide, isAuthor } from '../../../src/approvals/policy.ts';
import { teamMembers } from '../../../src/approvals/teams.ts';
import { people as peopleSchema } from '../../../src/config/schema/people.ts';
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
const people = peopleSchema.parse({
  alice: { github: 'alice-gh', os: ['alice'] },
  bob: { github: 'bob-gh', dashboard: 'bob', os: ['bob'] },
  carol: { gitea: 'carol', os: ['carol'] },
});
const base = { commitAuthor: { email: 'alice@example.com' }, policy: { teams, people }, now: NOW };
const cli = (login: string): Actor => ({ identity: { channel: 'os', login }, channel: 'cli' });
const via = (channel: Identity['channel'], login: string): Actor => ({
  identity: { channel, login },
  channel: channel === 'os' ? 'cli' : channel === 'dashboard' ? 'dashboard' : 'forge',
});

describe('decide', () => {
  it('accepts an approver listed by person or through a team, whichever channel maps to them', () => {
    expect(decide({ ...base, gate: gate(), actor: cli('bob'), decision: 'approve' })).toEqual({
      accepted: true,
      person: 'bob',
      opens: true,
      reason: 'approved by bob (1 of 1)',
    });
    expect(
      decide({ ...base, gate: gate(), actor: via('gitea', 'Carol'), decision: 'approve' }),
    ).toMatchObject({
      accepted: true,
      person: 'carol',
    });
    expect(
      decide({ ...base, gate: gate(), actor: via('github', 'bob-gh'), decision: 'approve' }),
    ).toMatchObject({ accepted: true, person: 'bob' });
  });

  it('refuses an unmapped identity, naming where to map it', () => {
    expect(decide({ ...base, gate: gate(), actor: cli('root'), decision: 'approve' })).toEqual({
      accepted: false,
      reason: 'os:root is not mapped to a person (add it under people in slipway.yml on the default branch)',
    });
  });

  it('takes a login only on its own channel: a GitHub login named like a person is not that person', () => {
    expect(decide({ ...base, gate: gate(), actor: via('github', 'bob'), decision: 'approve' })).toMatchObject(
      {
        accepted: false,
        reason: expect.stringContaining('github:bob is not mapped'),
      },
    );
  });

  it("refuses self-approval by the commit's author, matched through any of their logins", () => {
    const g = gate({}, { approvers: ['alice', 'bob'] });
    const req = { ...base, gate: g, actor: via('github', 'alice-gh'), decision: 'approve' as const };
    expect(decide(req)).toMatchObject({ accepted: false, reason: expect.stringContaining('author') });
    expect(decide({ ...req, commitAuthor: { name: 'alice-gh' } }).accepted).toBe(false);
    expect(decide({ ...req, commitAuthor: { name: 'Somebody' } }).accepted).toBe(true);
  });

  it('refuses self-approval by whoever started the run, as the same person on another channel', () => {
    const req = {
      ...base,
      commitAuthor: { name: 'Somebody' },
      gate: gate(),
      actor: via('dashboard', 'bob'),
      decision: 'approve' as const,
    };
    expect(decide({ ...req, triggers: [{ channel: 'os', login: 'bob' }] })).toEqual({
      accepted: false,
      reason: 'bob started this run (os:bob); self-approval is not allowed',
    });
    expect(decide({ ...req, triggers: [{ channel: 'github', login: 'BOB-gh' }] }).accepted).toBe(false);
    expect(decide({ ...req, triggers: [{ channel: 'os', login: 'carol' }] }).accepted).toBe(true);
    const allowed = gate({}, { allowSelfApproval: true });
    expect(decide({ ...req, gate: allowed, triggers: [{ channel: 'os', login: 'bob' }] }).accepted).toBe(
      true,
    );
  });

  it('refuses approvals before the wait timer ends but takes rejections', () => {
    const waiting = gate({ opensAt: NOW + 5_000 });
    expect(decide({ ...base, gate: waiting, actor: cli('bob'), decision: 'approve' })).toMatchObject({
      accepted: false,
      reason: expect.stringContaining('wait timer'),
    });
    expect(
      decide({
        ...base,
        gate: waiting,
        actor: cli('bob'),
        decision: 'reject',
        reason: 'no',
      }),
    ).toMatchObject({ accepted: true });
  });

  it('refuses decisions on an expired or decided gate', () => {
    const actor = cli('bob');
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
    expect(decide({ ...base, gate: g, actor: via('dashboard', 'BOB'), decision: 'approve' }).accepted).toBe(
      false,
    );
    expect(decide({ ...base, gate: g, actor: cli('carol'), decision: 'approve' })).toMatchObject({
      accepted: true,
      opens: true,
    });
  });
});

describe('isAuthor', () => {
  it("matches a person's names against name, e-mail, local part and GitHub noreply addresses", () => {
    const alice = new Set(['alice', 'alice-gh']);
    expect(isAuthor(alice, { email: 'alice@example.com' })).toBe(true);
    expect(isAuthor(alice, { email: '123+alice-gh@users.noreply.github.com' })).toBe(true);
    expect(isAuthor(alice, { name: 'Alice' })).toBe(true);
    expect(isAuthor(alice, { name: 'Bob', email: 'bob@example.com' })).toBe(false);
  });
});

describe('teamMembers', () => {
  it('resolves nested teams without looping', () => {
    expect(teamMembers({ '@a/ops': ['x', '@a/sre'], '@a/sre': ['y', '@a/ops'] }, '@a/ops')).toEqual([
      'x',
      'y',
    ]);
  });
});
