import { describe, expect, it } from 'vitest';
import { policyChanges, ratificationGate } from '../../../src/approvals/policy-diff.ts';
import type { TrustedPolicy } from '../../../src/approvals/trusted-policy.ts';
import { PEOPLE, policyOf, RUN } from '../../support/trusted-policy.ts';

const ENVS = { environments: { dev: {}, prod: { branches: ['main'] } } };
const JOBS = {
  dev: { environment: 'dev', steps: [RUN] },
  prod: {
    environment: 'prod',
    approval: { approvers: ['alice', 'bob'], required: 2, wait: '5m' },
    steps: [RUN],
  },
};
const base = () => policyOf(ENVS, JOBS);
const weakenings = (next: TrustedPolicy) =>
  policyChanges(base(), next)
    .filter((c) => c.weakens)
    .map((c) => c.text);

describe('what a change of the default branch weakens', () => {
  it('finds nothing in an identical policy', () => {
    expect(policyChanges(base(), base())).toEqual([]);
  });

  it('flags an app registered, pointed elsewhere or given another environment, at that environment', () => {
    const notes = { repository: 'acme/notes', url: '/srv/git/notes.git', environments: ['dev'] };
    const withApp = (app: object) => policyOf({ ...ENVS, apps: { notes: app } }, JOBS);
    expect(policyChanges(base(), withApp(notes))).toEqual([
      {
        text: 'app notes registered (acme/notes from /srv/git/notes.git, environments dev)',
        weakens: true,
        environments: ['dev'],
      },
    ]);
    const diff = (from: object, to: object) =>
      policyChanges(withApp(from), withApp(to)).map((c) => [c.text, c.weakens, c.environments]);
    expect(diff(notes, { ...notes, url: 'https://evil.example/notes.git' })).toEqual([
      [
        'app notes: acme/notes from /srv/git/notes.git -> acme/notes from https://evil.example/notes.git',
        true,
        ['dev'],
      ],
    ]);
    expect(diff(notes, { ...notes, environments: ['dev', 'prod'] })).toEqual([
      ['app notes: environments dev -> dev, prod', true, ['prod']],
    ]);
    expect(diff({ ...notes, environments: ['dev', 'prod'] }, notes)).toEqual([
      ['app notes: environments dev, prod -> dev', false, ['prod']],
    ]);
    expect(policyChanges(withApp(notes), base()).map((c) => [c.text, c.weakens])).toEqual([
      ['app notes removed', false],
    ]);
  });

  it("flags an app's secret sources and run steps granted, and a registration with no environment at every gate", () => {
    const notes = { repository: 'acme/notes', url: '/srv/git/notes.git', environments: ['dev'] };
    const withApp = (app: object) => policyOf({ ...ENVS, apps: { notes: app } }, JOBS);
    const diff = (from: object, to: object) =>
      policyChanges(withApp(from), withApp(to)).map((c) => [c.text, c.weakens, c.environments]);
    expect(diff(notes, { ...notes, secrets: [{ env: 'NOTES_TOKEN' }] })).toEqual([
      ['app notes: secret sources none -> env NOTES_TOKEN', true, ['dev']],
    ]);
    expect(diff({ ...notes, secrets: [{ env: 'NOTES_TOKEN' }] }, notes)).toEqual([
      ['app notes: secret sources env NOTES_TOKEN -> none', false, ['dev']],
    ]);
    expect(diff(notes, { ...notes, run_steps: true })).toEqual([
      ['app notes: run steps allowed', true, ['dev']],
    ]);
    expect(diff(notes, { ...notes, image: 'r.example/acme/notes' })).toEqual([
      ['app notes: image none -> r.example/acme/notes', true, ['dev']],
    ]);
    expect(diff({ ...notes, run_steps: true }, notes)).toEqual([
      ['app notes: run steps refused', false, ['dev']],
    ]);
    const nowhere = { ...notes, environments: [] };
    expect(policyChanges(base(), withApp(nowhere)).map((c) => [c.weakens, c.environments])).toEqual([
      [true, Object.keys(ENVS.environments)],
    ]);
  });

  it('flags fewer required, self-approval allowed, a shorter wait and a widened approver list', () => {
    const next = policyOf(ENVS, {
      ...JOBS,
      prod: {
        environment: 'prod',
        approval: { approvers: ['alice', 'bob', 'carol'], required: 1, allow_self_approval: true },
        steps: [RUN],
      },
    });
    expect(weakenings(next)).toEqual([
      'pipelines/app.yml job prod: required 2 -> 1',
      'pipelines/app.yml job prod: self-approval allowed',
      'pipelines/app.yml job prod: wait 300s -> 0s',
      'pipelines/app.yml job prod: approvers +carol',
    ]);
  });

  it('flags a removed gate, a removed job (its runs get the environment strictest, here none) and a moved job', () => {
    const gateRemoved = policyOf(ENVS, { ...JOBS, prod: { environment: 'prod', steps: [RUN] } });
    expect(weakenings(gateRemoved)).toEqual(['pipelines/app.yml job prod: gate removed']);
    expect(weakenings(policyOf(ENVS, { dev: JOBS.dev }))).toEqual([
      'pipelines/app.yml job prod: gate removed',
    ]);
  });

  it('flags a new job into an environment with a weaker gate than the environment strictest', () => {
    const next = policyOf(ENVS, {
      ...JOBS,
      hotfix: { environment: 'prod', approval: { approvers: ['carol'] }, steps: [RUN] },
    });
    expect(weakenings(next)).toEqual([
      'pipelines/app.yml job hotfix: required 2 -> 1',
      'pipelines/app.yml job hotfix: wait 300s -> 0s',
      'pipelines/app.yml job hotfix: approvers +carol -alice -bob',
    ]);
  });

  it('flags a branch let into an environment and a changed inventory, not a narrowed allowlist', () => {
    const wider = policyOf({ environments: { dev: {}, prod: { branches: ['main', 'feature/*'] } } }, JOBS);
    expect(weakenings(wider)).toEqual(['environment prod: branches main -> main, feature/*']);
    const moved = policyOf({ environments: { dev: {}, prod: { branches: ['main'], inventory: 'x' } } }, JOBS);
    expect(weakenings(moved)).toEqual(['environment prod: inventory inventories/prod -> x']);
    const narrower = policyOf(
      { environments: { dev: { branches: ['main'] }, prod: { branches: ['main'] } } },
      JOBS,
    );
    expect(policyChanges(base(), narrower)).toEqual([
      { text: 'environment dev: branches * -> main', weakens: false, environments: ['dev'] },
    ]);
  });

  it('flags a team widened at the gates that name it, and a login added to an approver', () => {
    const teamJobs = (approvers: string[]) => ({
      prod: { environment: 'prod', approval: { approvers }, steps: [RUN] },
    });
    const before = policyOf({ ...ENVS, teams: { '@acme/ops': ['alice'] } }, teamJobs(['@acme/ops']));
    const after = policyOf({ ...ENVS, teams: { '@acme/ops': ['alice', 'carol'] } }, teamJobs(['@acme/ops']));
    expect(policyChanges(before, after).map((c) => [c.text, c.weakens])).toEqual([
      ['pipelines/app.yml job prod: approvers +carol', true],
      ['team @acme/ops: +carol', false],
    ]);
    const login = policyOf(
      { ...ENVS, people: { ...PEOPLE, alice: { github: 'alice-gh', os: ['mallory'] } } },
      JOBS,
    );
    expect(policyChanges(base(), login)).toEqual([
      { text: 'person alice: logins +os:mallory', weakens: true, environments: ['prod'] },
    ]);
  });

  it('takes stricter changes without asking: more required, a gate added, a login removed', () => {
    const next = policyOf(
      { ...ENVS, people: { ...PEOPLE, bob: {} } },
      {
        dev: { environment: 'dev', approval: { approvers: ['alice'] }, steps: [RUN] },
        prod: {
          environment: 'prod',
          approval: { approvers: ['alice', 'bob'], required: 3, wait: '5m' },
          steps: [RUN],
        },
      },
    );
    const changes = policyChanges(base(), next);
    expect(changes.map((c) => c.text)).toEqual([
      'pipelines/app.yml job dev: gate added (1 of alice)',
      'pipelines/app.yml job prod: required 2 -> 3',
      'person bob: logins -github:bob-gh',
    ]);
    expect(changes.some((c) => c.weakens)).toBe(false);
  });
});

describe('the gate a weakening is decided at', () => {
  it('is the strictest gate of the concerned environments under the policy in force', () => {
    const gate = ratificationGate(base(), [{ text: 'x', weakens: true, environments: ['prod'] }]);
    expect(gate).toMatchObject({ approvers: ['alice', 'bob'], required: 2 });
  });

  it('falls back to every gate when the environment has none, and is undefined with no gate at all', () => {
    const gate = ratificationGate(base(), [{ text: 'x', weakens: true, environments: ['dev'] }]);
    expect(gate).toMatchObject({ approvers: ['alice', 'bob'] });
    const open = policyOf(ENVS, { dev: JOBS.dev });
    expect(ratificationGate(open, [{ text: 'x', weakens: true, environments: [] }])).toBeUndefined();
  });
});
