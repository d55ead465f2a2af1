import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, InventoryHost } from '../../../src/config/types.ts';
import { deployHandler } from '../../../src/steps/deploy.ts';
import { deployKind } from '../../../src/steps/kinds/deploy.ts';
import { stepContext } from '../../support/step-context.ts';

const COMPOSE = [
  'services:',
  '  web:',
  '    image: $SLIPWAY_IMAGE',
  '  worker:',
  '    image: $SLIPWAY_IMAGE',
  '',
].join('\n');
const DIGEST = `sha256:${'d'.repeat(64)}`;

// An address nothing answers on (TEST-NET-1): the refusal must come before any host or registry is asked.
const host: InventoryHost = { name: 'web1', address: '192.0.2.1', port: 22, vars: {}, groups: ['all'] };
const inventory: Inventory = {
  environment: 'dev',
  dir: '/nonexistent',
  hosts: new Map([[host.name, host]]),
  groups: new Map([['all', [host.name]]]),
  ansibleList: {},
};

describe('deploy step: services: against the compose file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-step-'));
    writeFileSync(join(dir, 'compose.yml'), COMPOSE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (services: Record<string, string>) => {
    const step = deployKind.schema.parse({ deploy: { compose: 'compose.yml', services } });
    const { ctx } = stepContext({
      workdir: dir,
      sha: 'a'.repeat(40),
      pipeline: {
        name: 'web',
        image: 'registry.test/acme/web',
        jobs: { d: { environment: 'dev', steps: [{ deploy: { compose: 'compose.yml' } }] } },
      },
      inventory,
      outputs: { 'image.digest': DIGEST },
    });
    return {
      plan: () => deployHandler.plan(ctx, step),
      apply: () => deployHandler.apply(ctx, step),
    };
  };

  it('refuses a service name the compose file does not define, before any host is contacted', async () => {
    const typo = run({ web: 'healthy', wrker: 'healthy' });
    const why = 'deploy: services: compose.yml has no service "wrker" (did you mean "worker"?)';
    await expect(typo.apply()).rejects.toThrow(why);
    await expect(typo.plan()).rejects.toThrow(why);
  });
});
