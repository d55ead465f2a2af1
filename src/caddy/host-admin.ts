import type { InventoryHost } from '../config/types.ts';
import type { Transport } from '../remote/transport.ts';
import { errorMessage } from '../util/errors.ts';
import { CaddyAdmin, CaddyAdminError } from './admin-client.ts';
import { ADMIN_SOCKET } from './render.ts';

/** Where a host's admin socket is: inventory var `caddy_admin_socket` (roles/caddy reads the same var). */
export function adminSocketOf(host: InventoryHost): string {
  const v = host.vars['caddy_admin_socket'];
  return typeof v === 'string' && v.startsWith('/') ? v : ADMIN_SOCKET;
}

/** The admin API of one host, reached through its transport, with the config it held when probed. */
export interface HostAdmin {
  admin: CaddyAdmin;
  /** The live config, or `undefined` when Caddy does not answer on the socket (missing or stopped). */
  live: unknown;
  /** Why Caddy did not answer, for the log. */
  down?: string;
  close(): Promise<void>;
}

/** Forwards a host's admin socket and reads its config; a Caddy that does not answer is reported, not thrown. */
export async function openHostAdmin(
  transport: Transport,
  signal?: AbortSignal,
  socket = ADMIN_SOCKET,
): Promise<HostAdmin> {
  const fwd = await transport.forwardUnixSocket(socket);
  const admin = new CaddyAdmin(fwd.localPath, signal ? { signal } : {});
  try {
    const { value } = await admin.get('/config/');
    return { admin, live: value, close: () => fwd.close() };
  } catch (err) {
    // Caddy answered but refused: that is a real error, not a missing Caddy.
    if (err instanceof CaddyAdminError || signal?.aborted) {
      await fwd.close();
      throw err;
    }
    const why = errorMessage(err);
    return { admin, live: undefined, down: `no answer on ${socket}: ${why}`, close: () => fwd.close() };
  }
}
