import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleDir, SHIPPED_ROLES } from '../../../src/ansible/roles.ts';
import { REPO } from '../../support/slipway-cli.ts';

describe('roleDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-roles-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("is Slipway's own role when the repository has none of that name", () => {
    expect(roleDir('caddy', root)).toBe(join(SHIPPED_ROLES, 'caddy'));
    expect(roleDir('ssh_keys', root)).toBe(join(SHIPPED_ROLES, 'ssh_keys'));
  });

  it("is the repository's roles/<name> when it has one, for that role only", () => {
    mkdirSync(join(root, 'roles', 'caddy', 'tasks'), { recursive: true });
    expect(roleDir('caddy', root)).toBe(join(root, 'roles', 'caddy'));
    expect(roleDir('ssh_keys', root)).toBe(join(SHIPPED_ROLES, 'ssh_keys'));
  });

  it('ships beside the code: roles/ at the root of the package', () => {
    expect(SHIPPED_ROLES).toBe(join(REPO, 'roles'));
  });
});
