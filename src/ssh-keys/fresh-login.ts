import type { InventoryHost } from '../config/types.ts';
import { sshTargetOf } from '../remote/from-inventory.ts';
import { SshTransport } from '../remote/ssh-transport.ts';

/**
 * Proves `privateKeyFile` logs in to `host` now: a new SSH connection of its own (no shared
 * ControlMaster), offering only that key, that runs `true`. Throws with ssh's reason otherwise.
 */
export async function freshLogin(host: InventoryHost, root: string, privateKeyFile: string): Promise<void> {
  const t = new SshTransport({ ...sshTargetOf(host, root), identityFile: privateKeyFile }, { persistSec: 1 });
  try {
    const r = await t.exec(['true'], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`${host.name}: login worked but \`true\` exited ${r.exitCode}`);
  } finally {
    await t.close();
  }
}
