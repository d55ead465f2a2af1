import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appMasker } from '../../../src/cli/app-session.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { appTarget } from '../../../src/deploy/app-hosts.ts';

describe('appMasker', () => {
  it("masks the app pipelines' secrets and the process's own, also encoded", async () => {
    const loaded = await loadRepo(resolve(import.meta.dirname, '../../..'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    // The sample web pipeline reads registry_password from SLIPWAY_REGISTRY_PASSWORD (15 characters: whole base64).
    const mask = appMasker(loaded.repo, appTarget(loaded.repo, 'dev', 'web'), {
      SLIPWAY_REGISTRY_PASSWORD: 'registry-pw-471',
      SLIPWAY_FORGE_TOKEN: 'forge-token-0815',
    });
    const b64 = Buffer.from('registry-pw-471').toString('base64');
    expect(mask(`login registry-pw-471 / ${b64} / forge-token-0815 / plain`)).toBe(
      'login *** / *** / *** / plain',
    );
  });
});
