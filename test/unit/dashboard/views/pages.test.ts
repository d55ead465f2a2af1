import { describe, expect, it } from 'vitest';
import { releasesPage } from '../../../../src/dashboard/views/pages.ts';

const viewer = { login: 'alice', csrf: 'tok123' };

describe('releases page', () => {
  const release = {
    id: 'r2',
    environment: 'prod',
    host: 'web1',
    app: 'web',
    digest: `sha256:${'ab'.repeat(32)}`,
    runId: '9',
    by: 'alice',
    at: 0,
    current: true,
  };

  it('groups by environment, marks the running release, and offers rollback only when the server can start one', () => {
    const withRollback = releasesPage(viewer, [release, { ...release, id: 'r1', current: false }], true).text;
    expect(withRollback).toContain('<section class="releases" data-env="prod">');
    expect(withRollback.match(/action="\/releases\/prod\/web\/rollback"/g)).toHaveLength(1);
    expect(withRollback).toContain('name="_csrf" value="tok123"');
    expect(withRollback.match(/class="current"/g)).toHaveLength(1);
    expect(withRollback).toContain(`<code title="${release.digest}">${'ab'.repeat(6)}</code>`);
    expect(releasesPage(viewer, [release], false).text).not.toContain(
      '<form method="post" action="/releases',
    );
  });
});
