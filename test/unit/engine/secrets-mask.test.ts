import { afterEach, describe, expect, it } from 'vitest';
import { valuesToMask } from '../../../src/engine/secrets.ts';
import { maskText } from '../../../src/logs/masker.ts';
import { type EngineFixture, engineFixture } from '../../support/engine-fixture.ts';

let fx: EngineFixture | undefined;
afterEach(() => fx?.cleanup());

describe('valuesToMask', () => {
  it("masks the pipeline's secrets, credential-named variables and the notification keys, whatever their names", () => {
    fx = engineFixture({
      notifications: {
        webhook: { url: 'https://chat.example.test/hook', secret: { env: 'SLIPWAY_NOTIFY_KEY' } },
      },
    });
    const env = { SLIPWAY_NOTIFY_KEY: 'hook-key-1f2e3d', DEPLOY_TOKEN: 'token-9a8b7c', HOME: '/root' };
    const masked = valuesToMask(fx.repo, fx.repo.project, ['pipeline-s3cret'], env);
    expect(maskText('hook-key-1f2e3d token-9a8b7c pipeline-s3cret /root', masked)).toBe('*** *** *** /root');
  });
});
