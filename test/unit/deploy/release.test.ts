// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import {
  configHash,
  parseReleaseMarker,
  type ReleaseRecord,
  releaseChange,
} from '../../../src/deploy/release.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('release ledger values', () => {
  const inputs = { compose: 'services: {}', env: { A: '1' }, secrets: { S: 'x' }, routes: [] };
  it('hashes configuration deterministically, secrets only through their own hash', () => {
    expect(configHash(inputs)).toBe(configHash({ ...inputs, env: { A: '1' } }));
    expect(configHash(inputs)).not.toBe(configHash({ ...inputs, secrets: { S: 'y' } }));
    expect(configHash(inputs)).not.toContain('x');
  });

  it('plans no change for the same digest and config, and says what differs otherwise', () => {
    const hash = configHash(inputs);
    const current = parseReleaseMarker(
      JSON.stringify({ app: 'web', release: 'r1', digest: DIGEST, configHash: hash, project: 'web-r1' }),
    ) as ReleaseRecord;
    const desired = { image: '10.207.0.1:5000/acme/web', digest: DIGEST, configHash: hash };
    expect(releaseChange('dev1', 'web', current, desired)).toBeUndefined();
    expect(releaseChange('dev1', 'web', undefined, desired)).toMatchObject({ action: 'add', host: 'dev1' });
    const changed = releaseChange('dev1', 'web', current, { ...desired, configHash: 'sha256:ff' });
    expect(changed?.action).toBe('change');
    expect(changed?.detail).toContain('config');
    expect(parseReleaseMarker('not json')).toBeUndefined();
  });
});
