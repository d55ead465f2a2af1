import { z } from 'zod';

// Ansible allows a string wherever a number goes (`ansible_port: "2222"`).
const portValue = z.union([z.number().int().min(1).max(65535), z.string()]);
const path = z.string().min(1);

/**
 * The inventory variables Slipway reads, with what each does; every other variable is passed through
 * to Ansible untouched. Source of vars.schema.json and docs/inventory-variables.md.
 */
export const slipwayInventoryVars = {
  ansible_host: z.string().describe('Address Slipway connects to. Default: the host name.'),
  ansible_port: portValue.describe('SSH port. Default: 22.'),
  ansible_user: z.string().describe("SSH login. Default: ssh's (your local user, or ~/.ssh/config)."),
  ansible_ssh_host: z.string().describe('Older name of ansible_host; wins when both are set, as in Ansible.'),
  ansible_ssh_port: portValue.describe('Older name of ansible_port; wins when both are set.'),
  ansible_ssh_user: z.string().describe('Older name of ansible_user; wins when both are set.'),
  ansible_ssh_private_key_file: path.describe(
    'Private key Slipway logs in with (relative paths from the repository root, ~ for your home). Its public half (the .pub beside it, or ssh-keygen -y) is the key the ssh-keys step never removes unless rotate_runner_key is set.',
  ),
  ansible_private_key_file: path.describe('Older name of ansible_ssh_private_key_file.'),
  ansible_connection: z
    .string()
    .describe('`local`: commands run on the runner itself, without SSH. Anything else: SSH.'),
  ansible_ssh_common_args: z
    .string()
    .describe('Only a jump host is read from it (`-J host` or `-o ProxyJump=host`); Ansible reads the rest.'),
  slipway_known_hosts: path.describe(
    "known_hosts file with the host's key (relative paths from the repository root). Default: ~/.ssh/known_hosts. Host keys are always checked, never trusted on first use: fill it with `ssh-keyscan -H HOST >> FILE`.",
  ),
  slipway_proxy_jump: z
    .string()
    .describe('Jump host (`[user@]host[:port]`), as ssh -J takes it; wins over ansible_ssh_common_args.'),
  slipway_next_private_key_file: path.describe(
    'The key Slipway will log in with after a rotation (rotate_runner_key): its public half must be listed for the login user in infra/access.yml, and a login with it is proven before the current key goes.',
  ),
  docker_socket: path.describe(
    "The Docker Engine's socket on the host, reached through the SSH connection. Default: /var/run/docker.sock.",
  ),
  caddy_admin_socket: path.describe(
    "Caddy's admin API socket on the host (the caddy step, the deploy step and roles/caddy). Default: /run/caddy/admin.sock.",
  ),
  caddy_http_port: portValue.describe('Port Caddy serves HTTP on. Default: 80.'),
  caddy_https_port: portValue.describe('Port Caddy serves HTTPS on. Default: 443.'),
} as const;

/** Variables of a group or host: any YAML values; the ones Slipway reads are described. */
export const inventoryVars = z.looseObject(
  Object.fromEntries(Object.entries(slipwayInventoryVars).map(([k, v]) => [k, v.optional()])),
);

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
