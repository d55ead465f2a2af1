import { describe, expect, it } from 'vitest';
import { pipeline as pipelineSchema } from '../../../src/config/schema/pipeline.ts';
import type { PipelineFile } from '../../../src/config/types.ts';
import { chooseRelease, findDeployJob, NothingToRollBack } from '../../../src/deploy/rollback-target.ts';
import type { ReleaseRecord } from '../../../src/store/types.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
let id = 0;
const rel = (app: string, releaseId: string, digest: string, host = 'p1'): ReleaseRecord => ({
  id: ++id,
  environment: 'prod',
  host,
  app,
  releaseId,
  digest,
  configHash: d('0'),
  createdAt: id,
  config: { composeFile: 'compose.yml', compose: 'services: {}\n', env: {}, secrets: {} },
});
// Newest first, as the store lists them: c is live (on both hosts), b before it, a first.
const ledger = [
  rel('web', 'r3', d('c'), 'p2'),
  rel('web', 'r3', d('c'), 'p1'),
  rel('web', 'r2', d('b')),
  rel('web', 'r1', d('a')),
];

describe('chooseRelease', () => {
  it('defaults to the newest release with another digest than the live one', () => {
    const c = chooseRelease(ledger, 'prod', undefined, undefined);
    expect(c).toMatchObject({ app: 'web', currentDigest: d('c') });
    expect(c.release.releaseId).toBe('r2');
  });
  it('takes a release id or an abbreviated digest', () => {
    expect(chooseRelease(ledger, 'prod', 'web', 'r1').release.digest).toBe(d('a'));
    expect(chooseRelease(ledger, 'prod', 'web', 'aaaa').release.releaseId).toBe('r1');
    expect(() => chooseRelease(ledger, 'prod', 'web', 'zz')).toThrow(/no release zz/);
  });
  it('needs --app when several apps share the environment, and an earlier release to go to', () => {
    expect(() => chooseRelease([...ledger, rel('api', 'x', d('e'))], 'prod', undefined, undefined)).toThrow(
      /--app/,
    );
    expect(() => chooseRelease([rel('web', 'r9', d('f'))], 'prod', undefined, undefined)).toThrow(
      /no earlier release/,
    );
    expect(() => chooseRelease([], 'prod', undefined, undefined)).toThrow(
      /no release was ever recorded in prod/,
    );
  });
  it('says nothing is there to roll back as a failed request, not a configuration error', () => {
    expect(() => chooseRelease([rel('web', 'r9', d('f'))], 'prod', undefined, undefined)).toThrow(
      NothingToRollBack,
    );
    expect(() => chooseRelease([], 'prod', 'web', undefined)).toThrow(NothingToRollBack);
    expect(() =>
      chooseRelease([...ledger, rel('api', 'x', d('e'))], 'prod', undefined, undefined),
    ).not.toThrow(NothingToRollBack);
  });
  it('refuses a release recorded without its compose file and configuration', () => {
    const { config: _, ...bare } = rel('web', 'r0', d('9'));
    expect(() => chooseRelease([ledger[0]!, bare], 'prod', 'web', 'r0')).toThrow(
      /r0 .* cannot be restored exactly/,
    );
  });
});

describe('findDeployJob', () => {
  const file = (name: string, jobs: unknown): PipelineFile => ({
    file: `pipelines/${name}.yml`,
    pipeline: pipelineSchema.parse({ name, image: 'r.example.com/acme/web', jobs }),
    positions: new Map(),
  });
  const app = file('web', {
    publish: { steps: [{ build: {} }, { push: {} }] },
    'deploy-prod': {
      needs: ['publish'],
      environment: 'prod',
      steps: [{ deploy: { compose: 'compose.yml' } }],
    },
  });
  it("finds the environment's job deploying the app", () => {
    expect(findDeployJob([app], 'prod', 'web')).toEqual({ pipeline: app, job: 'deploy-prod' });
    expect(() => findDeployJob([app], 'dev', 'web')).toThrow(/no pipeline job deploys web to dev/);
    expect(() => findDeployJob([app, app], 'prod', 'web')).toThrow(/several jobs/);
  });
});
