import { describe, expect, it } from 'vitest';
import { syncKind } from '../../../src/steps/kinds/sync.ts';
import { hostChanges } from '../../../src/steps/sync.ts';
import { manifestId } from '../../../src/sync/manifest.ts';

const f = (c: string) => ({ sha256: c.repeat(64), size: 1, mode: 0o644 });
const files = { 'index.html': f('a'), 'app.js': f('b') };
const manifest = { id: manifestId(files), files };
const step = syncKind.schema.parse({ sync: { source: 'site', to: 'www', keep: 2 } });
const OLD = '1'.repeat(20);
const OLDER = '2'.repeat(20);

describe('sync step options', () => {
  it('defaults hosts to all and keep to 5; refuses unknown options and sources outside the repository', () => {
    expect(syncKind.schema.parse({ sync: { source: 'site', to: 'www' } }).sync).toEqual({
      hosts: 'all',
      source: 'site',
      to: 'www',
      keep: 5,
    });
    expect(syncKind.schema.safeParse({ sync: { source: 'site', to: 'www', delete: true } }).success).toBe(
      false,
    );
    for (const source of ['../x', '/etc', 'a/../../b'])
      expect(syncKind.schema.safeParse({ sync: { source, to: 'www' } }).success).toBe(false);
    expect(syncKind.schema.safeParse({ sync: { source: 'site', to: '../x' } }).success).toBe(false);
  });
});

describe('hostChanges (the plan of one host)', () => {
  it('adds the whole release on a host with nothing live', () => {
    expect(hostChanges('h1', step, manifest, { releases: [] })).toEqual([
      {
        host: 'h1',
        action: 'add',
        subject: `sync www: release ${manifest.id} (2 added)`,
        detail: `+ app.js ${'b'.repeat(64)}\n+ index.html ${'a'.repeat(64)}`,
      },
    ]);
  });

  it('changes the live release, and prunes past keep', () => {
    const live = { id: OLD, files: { 'index.html': f('c'), 'gone.txt': f('d') } };
    expect(hostChanges('h1', step, manifest, { live, releases: [OLD, OLDER] })).toEqual([
      {
        host: 'h1',
        action: 'change',
        subject: `sync www: release ${manifest.id} (1 added, 1 changed, 1 removed)`,
        detail: `+ app.js ${'b'.repeat(64)}\n~ index.html ${'a'.repeat(64)}\n- gone.txt`,
      },
      { host: 'h1', action: 'remove', subject: `sync www: release ${OLDER} (past keep 2)` },
    ]);
  });

  it('says when the release is kept on the host (a rollback), and nothing when it is live', () => {
    const live = { id: OLD, files: {} };
    const [back] = hostChanges('h1', step, manifest, { live, releases: [OLD, manifest.id] });
    expect(back!.subject).toBe(`sync www: release ${manifest.id} (2 added; kept on the host, no upload)`);
    expect(hostChanges('h1', step, manifest, { live: manifest, releases: [manifest.id] })).toEqual([]);
  });
});
