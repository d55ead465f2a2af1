import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Deliveries, pushKey } from '../../../src/store/deliveries.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-deliveries-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const push = (after: string) =>
  JSON.stringify({ ref: 'refs/heads/main', after, repository: { full_name: 'Acme/Ops' } });

describe('Deliveries', () => {
  it('gives pushes stored before push keys existed their key, keeping the first of a replayed push', () => {
    // The table as the previous version left it, with a replay it let through.
    const db = new DatabaseSync(join(dir, 'state.db'));
    db.exec(`CREATE TABLE deliveries (id TEXT PRIMARY KEY, forge TEXT NOT NULL, event TEXT NOT NULL,
      payload TEXT NOT NULL, received_at INTEGER NOT NULL, status TEXT NOT NULL, outcome TEXT, finished_at INTEGER)`);
    const insert = db.prepare(
      `INSERT INTO deliveries VALUES (?, 'github', ?, ?, ?, 'processed', NULL, NULL)`,
    );
    insert.run('github:first', 'push', push('a'.repeat(40)), 1);
    insert.run('github:replay', 'push', push('a'.repeat(40)), 2);
    insert.run('github:comment', 'issue_comment', '{}', 3);
    insert.run('github:garbage', 'push', 'not json', 4);
    db.close();

    const deliveries = new Deliveries(join(dir, 'state.db'));
    try {
      const key = pushKey({
        forge: 'github',
        repository: 'Acme/Ops',
        ref: 'refs/heads/main',
        after: 'a'.repeat(40),
      });
      expect(key).toBe(`github:acme/ops:refs/heads/main:${'a'.repeat(40)}`);
      expect(deliveries.get('github:first')?.pushKey).toBe(key);
      expect(deliveries.get('github:replay')?.pushKey).toBeUndefined();
      expect(deliveries.takenBy(key)).toBe('github:first');
      // A third copy under yet another id is refused; a new delivery of another push is taken.
      const record = (id: string, pushKey: string) =>
        deliveries.record({ id, forge: 'github', event: 'push', payload: '{}', receivedAt: 5, pushKey });
      expect(record('github:again', key)).toBe(false);
      expect(record('github:other', `${key.slice(0, -1)}b`)).toBe(true);
      // A failed delivery gives its key back; one a crash interrupted keeps it (its runs may exist).
      deliveries.claim('github:other');
      deliveries.finish('github:other', 'failed', 'fetch failed');
      expect(record('github:redelivered', `${key.slice(0, -1)}b`)).toBe(true);
      deliveries.claim('github:redelivered');
      deliveries.failInterrupted();
      expect(record('github:after-crash', `${key.slice(0, -1)}b`)).toBe(false);
    } finally {
      deliveries.close();
    }
    // Opening again changes nothing.
    new Deliveries(join(dir, 'state.db')).close();
  });
});
