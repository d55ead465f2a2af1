// The state store holds run logs, audit and session hashes: readable by its owner only, on a real SQLite file.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Deliveries } from '../../src/store/deliveries.ts';
import { Store } from '../../src/store/store.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-state-modes-'));
  // A shared parent, as /srv or a home directory may be: only what Slipway owns is tightened.
  chmodSync(root, 0o755);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

/** Opens the store and writes once, so SQLite has its WAL and SHM files open. */
function openAndWrite(path: string): Store {
  const store = new Store(path);
  new Deliveries(path).close();
  return store;
}

describe('state files', () => {
  it('creates state.db, its WAL and SHM 0600 in a 0700 .slipway directory', () => {
    const path = join(root, 'ops', '.slipway', 'state.db');
    const store = openAndWrite(path);
    try {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(file), file).toBe(true);
        expect(mode(file), file).toBe(0o600);
      }
      expect(mode(join(root, 'ops', '.slipway'))).toBe(0o700);
      expect(mode(root)).toBe(0o755);
    } finally {
      store.close();
    }
  });

  it('fixes the modes of an existing store left world-readable', () => {
    const dir = join(root, '.slipway');
    const path = join(dir, 'state.db');
    openAndWrite(path).close();
    writeFileSync(`${path}-wal`, '');
    writeFileSync(`${path}-shm`, '');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
    chmodSync(dir, 0o755);
    const store = openAndWrite(path);
    try {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
      expect(mode(dir)).toBe(0o700);
    } finally {
      store.close();
    }
  });

  it('leaves a shared directory named by SLIPWAY_STATE as it is, and still makes the files 0600', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared, { mode: 0o1777 });
    chmodSync(shared, 0o1777);
    const path = join(shared, 'state.db');
    const store = openAndWrite(path);
    try {
      expect(statSync(shared).mode & 0o7777).toBe(0o1777);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    } finally {
      store.close();
    }
  });
});
