import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slipway } from '../../../support/slipway-cli.ts';

describe('slipway sandbox up --registry-auth', () => {
  it('offers basic (the default) and token', async () => {
    const r = await slipway(['sandbox', 'up', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(
      /--registry-auth <mode> how the registry authenticates: basic \(htpasswd\) or token .* \(choices: "basic", "token", default: "basic"\)/,
    );
  });

  it('refuses another mode before anything is created', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-sandbox-cli-'));
    try {
      const r = await slipway(['-C', dir, 'sandbox', 'up', '--name', 'x', '--registry-auth', 'ldap']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        "option '--registry-auth <mode>' argument 'ldap' is invalid. Allowed choices are basic, token.",
      );
      expect(existsSync(join(dir, '.slipway'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
