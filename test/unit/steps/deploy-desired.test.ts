// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sites as sitesSchema } from '../../../src/config/schema/sites.ts';
import type { Inventory, InventoryHost } from '../../../src/config/types.ts';
import { configHash, type ReleaseRecord } from '../../../src/deploy/release.ts';
import { desiredState, hostChanges, type Recorded } from '../../../src/steps/deploy-desired.ts';
import { deployKind } from '../../../src/steps/kinds/deploy.ts';
import { Store } from '../../../src/store/store.ts';
import type { RecordedConfig } from '../../../src/store/types.ts';
import { stepContext } from '../../support/step-context.ts';

// The sample app of this checkout (apps/web/compose.yml) deployed to a one-host prod inventory.
const ROOT = resolve(import.meta.dirname, '../../..');
const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const web1: InventoryHost = { name: 'web1', address: 'web1', port: 22, vars: {}, groups: ['web'] };
const prod: Inventory = {
  environment: 'prod',
  dir: 'inventories/prod',
  hosts: new Map([['web1', web1]]),
  groups: new Map([['web', ['web1']]]),
  ansibleList: {},
};
const sites = sitesSchema.parse({
  tls: { issuer: 'internal' },
  sites: { 'web.test': { routes: [{ path: '/', proxy: { app: 'web' } }] } },
});
const step = deployKind.schema.parse({
  deploy: {
    compose: 'apps/web/compose.yml',
    hosts: 'web',
    env: { MODE: 'today' },
    secrets: { API_KEY: 'API_KEY', NEW_KEY: 'NEW_KEY' },
  },
});
const RECORDED: RecordedConfig = {
  composeFile: 'apps/web/compose.yml',
  compose: 'services:\n  web:\n    image: ${SLIPWAY_IMAGE}\n',
  env: { GREETING: 'then' },
  secrets: { API_KEY: 'API_KEY' },
};

// A ledger in a real store, holding one recorded release of web in prod.
function ledgerWith(config: RecordedConfig | undefined, env = 'prod'): { recorded: Recorded; id: number } {
  const store = new Store(':memory:');
  const id = store.releases.record({
    environment: env,
    host: 'web1',
    app: 'web',
    releaseId: '20261201-100000-aaaaaaa',
    digest: OLD,
    configHash: 'sha256:old',
    sha: 'a'.repeat(40),
    ...(config ? { config } : {}),
  });
  return { recorded: (n) => store.releases.get(n), id };
}

const ctxFor = (
  opts: { rollback?: { ledgerId: number; kind?: 'redeploy' }; secrets?: Record<string, string> } = {},
) =>
  stepContext({
    workdir: ROOT,
    sha: 'c'.repeat(40),
    pipeline: {
      name: 'web',
      image: 'registry.test/acme/web',
      env: { GREETING: 'now' },
      secrets: { API_KEY: { env: 'API_KEY' }, NEW_KEY: { env: 'NEW_KEY' } },
      jobs: { deploy: { environment: 'prod', steps: [{ deploy: { compose: 'apps/web/compose.yml' } }] } },
    },
    secrets: opts.secrets ?? { API_KEY: 'k-today', NEW_KEY: 'n' },
    inventory: prod,
    outputs: { 'image.digest': NEW },
    repo: { sitesFiles: new Map([['infra/sites.yml', sites]]) },
    job: 'deploy',
    ...(opts.rollback
      ? {
          rollback: {
            ledgerId: opts.rollback.ledgerId,
            releaseId: '20261201-100000-aaaaaaa',
            digest: OLD,
            ...(opts.rollback.kind ? { kind: opts.rollback.kind } : {}),
          },
        }
      : {}),
  }).ctx;

describe('desiredState', () => {
  it("releases today's digest, compose file and env, and records them with the secrets mapping only", async () => {
    const want = (await desiredState(ctxFor(), step, [web1], () => undefined))!;
    expect(want.spec).toMatchObject({
      digest: NEW,
      sha: 'c'.repeat(40),
      env: { GREETING: 'now', MODE: 'today' },
    });
    expect(want.spec.restores).toBeUndefined();
    expect(want.config.compose).toContain('${SLIPWAY_PORT_WEB}');
    expect(want.config.secrets).toEqual({ API_KEY: 'API_KEY', NEW_KEY: 'NEW_KEY' });
    expect(JSON.stringify(want.config)).not.toContain('k-today');
  });

  it('on a rollback, restores the recorded digest, compose file and env, its secrets resolved again by name', async () => {
    const { recorded, id } = ledgerWith(RECORDED);
    const want = (await desiredState(ctxFor({ rollback: { ledgerId: id } }), step, [web1], recorded))!;
    expect(want.spec).toMatchObject({
      digest: OLD,
      composeSource: RECORDED.compose,
      env: { GREETING: 'then' },
      secrets: { API_KEY: 'k-today' },
      sha: 'a'.repeat(40),
      restores: '20261201-100000-aaaaaaa',
    });
    expect(want.config).toEqual(RECORDED);
    const routes = want.routes.get('web1')!;
    expect(want.hashes.get('web1')).toBe(
      configHash({ compose: RECORDED.compose, env: RECORDED.env, secrets: { API_KEY: 'k-today' }, routes }),
    );
    const [change] = hostChanges(want, 'web1', {}, undefined);
    expect(change).toBeDefined();
    expect(change!.detail).toMatch(/^rollback to release 20261201-100000-aaaaaaa \(commit aaaaaaa\)/);
  });

  it('on a redeploy, changes a host that runs the release already: new containers, same image and configuration', async () => {
    const { recorded, id } = ledgerWith(RECORDED);
    const rollback = (await desiredState(ctxFor({ rollback: { ledgerId: id } }), step, [web1], recorded))!;
    const redeploy = (await desiredState(
      ctxFor({ rollback: { ledgerId: id, kind: 'redeploy' } }),
      step,
      [web1],
      recorded,
    ))!;
    const live = {
      app: 'web',
      release: '20261201-100000-aaaaaaa',
      environment: 'prod',
      host: 'web1',
      image: 'registry.test/acme/web',
      digest: OLD,
      configHash: redeploy.hashes.get('web1')!,
      project: 'web-x',
      ports: {},
      runId: '1',
      sha: 'a'.repeat(40),
      triggeredBy: 'bob',
      deployedAt: '2026-12-01T10:00:00Z',
    };
    expect(hostChanges(rollback, 'web1', { release: live }, live.release)).toEqual([]);
    expect(hostChanges(redeploy, 'web1', { release: live }, live.release)).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: `app web release registry.test/acme/web@${'a'.repeat(12)}`,
        detail:
          'redeploy of release 20261201-100000-aaaaaaa (same image and configuration): new containers replace 20261201-100000-aaaaaaa',
      },
    ]);
  });

  it('refuses a rollback whose release is of another environment, or has no recorded configuration', async () => {
    const staging = ledgerWith(RECORDED, 'staging');
    await expect(
      desiredState(ctxFor({ rollback: { ledgerId: staging.id } }), step, [web1], staging.recorded),
    ).rejects.toThrow(/is not a release of web in prod/);
    const bare = ledgerWith(undefined);
    await expect(
      desiredState(ctxFor({ rollback: { ledgerId: bare.id } }), step, [web1], bare.recorded),
    ).rejects.toThrow(/no recorded compose file and configuration/);
  });

  it('names the restored release when a secret it used cannot be resolved now', async () => {
    const { recorded, id } = ledgerWith(RECORDED);
    await expect(
      desiredState(ctxFor({ rollback: { ledgerId: id }, secrets: {} }), step, [web1], recorded),
    ).rejects.toThrow(/release 20261201-100000-aaaaaaa used secret API_KEY, which cannot be resolved now/);
  });
});

describe('hostChange', () => {
  // The host's live release as its marker says: today's digest and configuration.
  const live = async () => {
    const want = (await desiredState(ctxFor(), step, [web1], () => undefined))!;
    const marker: ReleaseRecord = {
      app: 'web',
      release: '20261207-182924-cccccc0',
      environment: 'prod',
      host: 'web1',
      image: 'registry.test/acme/web',
      digest: NEW,
      configHash: want.hashes.get('web1')!,
      project: 'web-20261207-182924-cccccc0',
      ports: { web: 20001 },
      runId: '7',
      sha: 'c'.repeat(40),
      triggeredBy: 'test',
      deployedAt: '2026-12-07T18:29:30.000Z',
    };
    return { want, marker };
  };

  it('changes nothing on a host that runs the release the ledger recorded last for it', async () => {
    const { want, marker } = await live();
    expect(hostChanges(want, 'web1', { release: marker }, marker.release)).toEqual([]);
  });

  it('releases again on a host whose live release the ledger lacks (its runner died before recording it)', async () => {
    const { want, marker } = await live();
    expect(hostChanges(want, 'web1', { release: marker }, '20261201-100000-aaaaaaa')).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: `app web release registry.test/acme/web@${'b'.repeat(12)}`,
        detail:
          'release 20261207-182924-cccccc0 runs it but the ledger records release 20261201-100000-aaaaaaa last on this host: released again',
      },
    ]);
    expect(hostChanges(want, 'web1', { release: marker }, undefined)[0]?.detail).toContain(
      'the ledger records no release last',
    );
  });
});
