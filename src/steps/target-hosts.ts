import type { Inventory, InventoryHost } from '../config/types.ts';

/** The hosts a step's `hosts:` names: a group of the job's inventory (`all` included) or one host. */
export function targetHosts(
  kind: string,
  inventory: Inventory | undefined,
  pattern: string,
): InventoryHost[] {
  if (!inventory)
    throw new Error(`the ${kind} step needs a job with an environment (its inventory lists the hosts)`);
  const names = inventory.groups.get(pattern) ?? (inventory.hosts.has(pattern) ? [pattern] : undefined);
  if (pattern === 'all' && !names) return [...inventory.hosts.values()];
  if (!names)
    throw new Error(`hosts "${pattern}" is neither a group nor a host of inventory ${inventory.environment}`);
  return names.map((n) => inventory.hosts.get(n)!);
}
