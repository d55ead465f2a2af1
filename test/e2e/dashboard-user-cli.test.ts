// `slipway user` as an operator runs it: a real CLI process on a real SQLite store.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/dashboard/auth/sessions.ts';
import { hashToken } from '../../src/dashboard/auth/tokens.ts';
import { openDashboardStore } from '../../src/store/dashboard-store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';

const BIN = resolve(import.meta.dirname, '../../bin/slipway');
let dir: string;
let db: string;

const slipway = (...args: string[]) =>
  execa(BIN, ['-C', dir, 'user', ...args], { env: { SLIPWAY_STATE: db }, reject: false });

function withStore<T>(fn: (s: ReturnType<typeof openDashboardStore>) => T): T {
  const s = openDashboardStore(db);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

beforeAll(() => {
  // Sign-ins are made only for a person's dashboard login on the default branch.
  dir = tempOpsRepo({ 'slipway.yml': 'people:\n  alice: { dashboard: alice }\n' });
  db = join(dir, '.slipway', 'state.db');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('slipway user', () => {
  it('prints a new token once on stdout and stores only its hash', async () => {
    const added = await slipway('add', 'alice');
    expect(added.exitCode).toBe(0);
    const token = added.stdout.trim();
    expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(added.stderr).toContain('shown once');
    expect(withStore((s) => s.users.userByTokenHash(hashToken(token)))).toEqual({ login: 'alice' });
    // Every file of the store, the write-ahead log included while it exists.
    const stateDir = join(dir, '.slipway');
    for (const file of readdirSync(stateDir).filter((f) => f.startsWith('state.db'))) {
      expect(readFileSync(join(stateDir, file), 'latin1')).not.toContain(token);
    }
    expect((await slipway('list')).stdout).toMatch(/^alice\t\d{4}-/);
  });

  it('refuses a duplicate or malformed login and changes nothing', async () => {
    const before = withStore((s) => s.users.list());
    const again = await slipway('add', 'alice');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('user alice exists; pass --rotate');
    expect(again.stdout).toBe('');
    const bad = await slipway('add', '../root');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('invalid login "../root"');
    expect(withStore((s) => s.users.list())).toEqual(before);
  });

  it('rotates a token, ending the sessions of the old one, and removes users', async () => {
    const sessionId = withStore((s) => {
      const started = startSession(s.users, 'alice', { secure: false });
      return hashToken(started.setCookie.split(';')[0]!.split('=')[1]!);
    });
    const rotated = await slipway('add', 'alice', '--rotate');
    expect(rotated.exitCode).toBe(0);
    const token = rotated.stdout.trim();
    withStore((s) => {
      expect(s.users.userByTokenHash(hashToken(token))).toEqual({ login: 'alice' });
      expect(s.users.getSession(sessionId)).toBeUndefined();
    });
    expect((await slipway('remove', 'alice')).exitCode).toBe(0);
    expect(withStore((s) => s.users.userByTokenHash(hashToken(token)))).toBeUndefined();
    const missing = await slipway('remove', 'alice');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('no user alice');
  });
});
