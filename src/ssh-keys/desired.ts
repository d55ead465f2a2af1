import type { Access } from '../config/schema/access.ts';
import type { InventoryHost, PublicKey } from '../config/types.ts';

/** One login account on one host and the exact keys allowed into it. */
export interface Account {
  name: string;
  shell: string;
  groups: string[];
  keys: PublicKey[];
}

/** True when an access.yml `hosts` entry (a group, `all`, or a host name) covers the host. */
function covers(entry: string, host: Pick<InventoryHost, 'name' | 'groups'>): boolean {
  return entry === 'all' || entry === host.name || host.groups.includes(entry);
}

/**
 * The accounts infra/access.yml gives a host, in access.yml order, each with its keys resolved from
 * infra/ssh-keys/ (a key listed twice counts once). Throws on a key name with no file.
 */
export function accountsFor(
  access: Access,
  keys: ReadonlyMap<string, PublicKey>,
  host: Pick<InventoryHost, 'name' | 'groups'>,
): Account[] {
  const out: Account[] = [];
  for (const [name, spec] of Object.entries(access.users)) {
    if (!spec.hosts.some((h) => covers(h, host))) continue;
    const resolved: PublicKey[] = [];
    for (const k of spec.keys) {
      const key = keys.get(k);
      if (!key) throw new Error(`infra/access.yml: user ${name}: no key "${k}" in infra/ssh-keys/`);
      if (!resolved.some((r) => r.base64 === key.base64)) resolved.push(key);
    }
    out.push({ name, shell: spec.shell, groups: [...spec.groups], keys: resolved });
  }
  return out;
}

/** The header of every authorized_keys file Slipway writes. */
export const MANAGED_HEADER =
  '# Managed by Slipway from infra/access.yml: keys not listed there are removed.';

/** The exact authorized_keys text for these keys. */
export function authorizedKeysText(keys: readonly PublicKey[]): string {
  return `${[MANAGED_HEADER, ...keys.map((k) => k.line)].join('\n')}\n`;
}
