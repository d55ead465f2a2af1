// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write `${{ }}` and `${VAR}` as users do
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempOpsRepo } from '../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function slipway(env: Record<string, string>, ...args: string[]) {
  return spawnSync(SLIPWAY, ['-C', dir!, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
}

/** An app pipeline deploying to dev then prod, with `deployLines` as the dev deploy step's extra options. */
function repo(deployLines: string[]): string {
  return tempOpsRepo({
    'slipway.yml': `environments: { dev: {}, prod: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
    'inventories/dev/hosts.yml':
      'all:\n  children:\n    web:\n      hosts:\n        d1: { ansible_host: 127.0.0.1 }\n',
    'inventories/prod/hosts.yml':
      'all:\n  children:\n    web:\n      hosts:\n        p1: { ansible_host: 127.0.0.1 }\n',
    'apps/shop/compose.yml':
      'services:\n  web:\n    image: ${SLIPWAY_IMAGE}\n    environment: { SHOP_API_KEY: ${SHOP_API_KEY} }\n',
    'pipelines/shop.yml': [
      'name: shop',
      'secrets:',
      '  shop_api_key: { env: SHOP_KEY_PROD, environments: [prod] }',
      '  db_password: { by_environment: { dev: { env: DB_DEV }, prod: { env: DB_PROD } } }',
      'jobs:',
      '  deploy-dev:',
      '    environment: dev',
      '    steps:',
      '      - deploy:',
      '          compose: apps/shop/compose.yml',
      ...deployLines.map((l) => `          ${l}`),
      '',
    ].join('\n'),
  });
}

describe('secrets in config: one way to hand a secret to a service, checked before anything runs', () => {
  it('rejects ${{ ... }} in a deploy step env with the documented way as the hint', () => {
    dir = repo(['env: { SHOP_API_KEY: "${{ secrets.shop_api_key }}" }']);
    const r = slipway({}, 'validate');
    expect(r.status).toBe(2);
    expect(r.stderr + r.stdout).toContain('jobs.deploy-dev.steps.0.deploy.env.SHOP_API_KEY');
    expect(r.stderr + r.stdout).toContain('are not expanded in deploy env');
    expect(r.stderr + r.stdout).toContain("deploy step's secrets: { VARIABLE: secret_name }");
  });

  it('rejects a mapping to a secret limited to another environment, or not declared', () => {
    dir = repo(['secrets: { SHOP_API_KEY: shop_api_key, DB: db_pasword }']);
    const r = slipway({}, 'validate');
    const out = r.stderr + r.stdout;
    expect(r.status).toBe(2);
    expect(out).toContain('secret "shop_api_key" is not available to environment "dev"');
    expect(out).toContain('secret "db_pasword" is not declared');
    expect(out).toContain('db_password');
  });

  it('plan names the secrets this process cannot resolve (secret and source), never a value', () => {
    dir = repo(['secrets: { DB_PASSWORD: db_password }']);
    expect(slipway({}, 'validate').status).toBe(0);
    const r = slipway({ DB_PROD: 'prod-value-123' }, 'plan', 'shop');
    expect(r.stderr).toContain(
      'secret db_password (env DB_DEV): environment variable DB_DEV is not set for this process',
    );
    expect(r.stderr + r.stdout).not.toContain('prod-value-123');
    const run = slipway({}, 'run', 'shop');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('refused: secrets this process cannot resolve');
    expect(run.stderr).toContain('secret db_password (env DB_DEV)');
  });
});
