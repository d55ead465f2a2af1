import { z } from 'zod';

/** Variables of a group or host: any YAML values. */
export const inventoryVars = z.record(z.string(), z.unknown());

/** A group of an Ansible YAML inventory: hosts (patterns like web[01:04]), children and vars. */
export const inventoryGroup: z.ZodType = z.lazy(() =>
  z
    .strictObject({
      hosts: z.record(z.string(), inventoryVars.nullable()).nullable(),
      children: z.record(z.string(), inventoryGroup.nullable()).nullable(),
      vars: inventoryVars.nullable(),
    })
    .partial(),
);

/**
 * An Ansible YAML inventory file, for editors only: Slipway reads inventories with its
 * Ansible-compatible resolver (src/config/inventory/), which accepts what ansible-inventory accepts.
 */
export const inventoryFile = z.record(z.string(), inventoryGroup.nullable());
