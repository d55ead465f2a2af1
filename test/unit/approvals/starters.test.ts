import { describe, expect, it } from 'vitest';
import { startRefusal } from '../../../src/approvals/starters.ts';
import { projectTrustedPolicy } from '../../support/policy.ts';

const policy = projectTrustedPolicy;
const dash = (login: string) => ({ channel: 'dashboard' as const, login });
const os = (login: string) => ({ channel: 'os' as const, login });

describe('startRefusal', () => {
  const p = policy({
    environments: { dev: {}, prod: { run_by: ['@acme/ops'] } },
    teams: { '@acme/ops': ['alice'] },
    people: { alice: { dashboard: 'alice', os: ['root'] }, mallory: { dashboard: 'mallory' } },
  });

  it('lets the persons and teams of run_by start runs, on any channel', () => {
    expect(startRefusal(p, dash('alice'), 'prod')).toBeUndefined();
    expect(startRefusal(p, os('root'), 'prod')).toBeUndefined();
  });

  it('refuses everyone else there, naming who may', () => {
    expect(startRefusal(p, dash('mallory'), 'prod')).toBe(
      `mallory (dashboard:mallory) may not start runs in prod: slipway.yml on refs/heads/main (ffffffffffff) lets @acme/ops`,
    );
    expect(startRefusal(p, os('deploy'), 'prod')).toMatch(/^os:deploy may not start runs in prod/);
  });

  it('without run_by, lets any person start, and on the dashboard nobody else', () => {
    expect(startRefusal(p, dash('mallory'), 'dev')).toBeUndefined();
    expect(startRefusal(p, os('deploy'), 'dev')).toBeUndefined();
    expect(startRefusal(p, dash('ghost'), 'dev')).toBe(
      'dashboard:ghost is no person of people in slipway.yml on refs/heads/main (ffffffffffff), so it may not start runs',
    );
  });
});
