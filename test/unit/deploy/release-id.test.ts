// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import {
  composeProject,
  isReleaseId,
  newReleaseId,
  releaseOfProject,
} from '../../../src/deploy/release-id.ts';

describe('release ids and compose projects', () => {
  it('sort in time order and name a compose project', () => {
    const id = newReleaseId(new Date('2026-11-24T04:08:05.123Z'), 'ABCDEF0123456789');
    expect(id).toBe('20261124-040805-abcdef0');
    expect(isReleaseId(id)).toBe(true);
    expect(isReleaseId('../etc')).toBe(false);
    expect(composeProject('Web.App', id)).toBe('web-app-20261124-040805-abcdef0');
  });

  it("tells an app's release projects from another app's whose name starts alike", () => {
    expect(releaseOfProject('web', 'web-20261124-040805-abcdef0')).toBe('20261124-040805-abcdef0');
    expect(releaseOfProject('web', 'web-20261124-040805-abcdef0-2')).toBe('20261124-040805-abcdef0-2');
    expect(releaseOfProject('Web.App', composeProject('Web.App', '20261124-040805-abcdef0'))).toBe(
      '20261124-040805-abcdef0',
    );
    expect(releaseOfProject('web', 'web-admin-20261124-040805-abcdef0')).toBeUndefined();
    expect(releaseOfProject('web', 'webshop')).toBeUndefined();
    expect(releaseOfProject('web', 'other-20261124-040805-abcdef0')).toBeUndefined();
  });
});
