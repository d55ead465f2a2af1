import type { Inventory, InventoryHost } from '../types.ts';

/**
 * The hosts a step's `hosts:` names in an inventory: a group (`all` is every host, as in Ansible) or one host;
 * undefined when it names neither. Validation, `slipway describe` and the steps all read `hosts:` through this.
 */
export function matchHosts(inventory: Inventory, pattern: string): InventoryHost[] | undefined {
  const names =
    inventory.groups.get(pattern) ??
    (pattern === 'all' ? [...inventory.hosts.keys()] : inventory.hosts.has(pattern) ? [pattern] : undefined);
  return names?.map((n) => inventory.hosts.get(n)!);
}

/** The hosts a `kind` step works on; throws saying what is missing when the job has no such hosts. */
export function targetHosts(
  kind: string,
  inventory: Inventory | undefined,
  pattern: string,
): InventoryHost[] {
  if (!inventory)
    throw new Error(`the ${kind} step needs a job with an environment (its inventory lists the hosts)`);
  const hosts = matchHosts(inventory, pattern);
  if (!hosts)
    throw new Error(`hosts "${pattern}" is neither a group nor a host of inventory ${inventory.environment}`);
  return hosts;
}
