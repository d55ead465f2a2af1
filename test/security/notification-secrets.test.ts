import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');
// Named so that no credential-name rule would mask them: only their use in `notifications` does.
const HOOK_KEY = 'chat-hook-k3y-5d1e0a';
const SMTP_PASSWORD = 'mail-pw-8c2f71b0';
const secretsDir = mkdtempSync(join(tmpdir(), 'slipway-notify-secrets-'));
writeFileSync(join(secretsDir, 'smtp'), `${SMTP_PASSWORD}\n`, { mode: 0o600 });
const dirs: string[] = [secretsDir];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("Slipway's own notification credentials", () => {
  it('are masked in run logs even when a step prints them', () => {
    const dir = tempOpsRepo({
      'slipway.yml': [
        `people: { alice: { os: [${userInfo().username}] } }`,
        'notifications:',
        '  webhook: { url: "http://127.0.0.1:9/hook", secret: { env: CHAT_HOOK } }',
        '  email:',
        '    smtp: { host: 127.0.0.1, security: none, username: slipway, password: { file: smtp } }',
        '    from: slipway@example.com',
        '',
      ].join('\n'),
      'pipelines/app.yml': [
        'name: app',
        'jobs:',
        '  leak:',
        '    steps:',
        `      - run: { command: [/bin/echo, "key ${HOOK_KEY} and password ${SMTP_PASSWORD}"] }`,
        '',
      ].join('\n'),
    });
    dirs.push(dir);
    const r = spawnSync(SLIPWAY, ['-C', dir, 'run', 'app'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CHAT_HOOK: HOOK_KEY, SLIPWAY_SECRETS_DIR: secretsDir },
    });
    expect(r.status, r.stderr).toBe(0);
    const store = new Store(join(dir, '.slipway', 'state.db'));
    try {
      const logs = store.events
        .after(1, 0, 1000)
        .filter((e) => e.kind === 'log')
        .map((e) => e.text);
      expect(logs).toContain('key *** and password ***');
      expect(r.stdout + r.stderr).not.toContain(HOOK_KEY);
      expect(r.stdout + r.stderr).not.toContain(SMTP_PASSWORD);
    } finally {
      store.close();
    }
  });
});
