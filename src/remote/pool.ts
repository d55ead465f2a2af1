import type { InventoryHost } from '../config/types.ts';
import { type TransportContext, transportFor } from './from-inventory.ts';
import { requireSshFiles } from './ssh-files.ts';
import type { Transport } from './transport.ts';

/** The transports of one run: one per host, created on first use, all closed by `closeAll()`. */
export class TransportPool {
  readonly #ctx: TransportContext;
  readonly #make: (host: InventoryHost, ctx: TransportContext) => Transport;
  readonly #transports = new Map<string, Transport>();

  constructor(ctx: TransportContext, make = transportFor) {
    this.#ctx = ctx;
    this.#make = make;
  }

  /** The run's transport for `host` (the same connection every time). */
  get(host: InventoryHost): Transport {
    // Jobs of one run may target different environments whose inventories reuse a host name for another
    // machine: a connection is shared only by hosts that connect the same way.
    const key = JSON.stringify([host.name, host.address, host.port, host.user, host.vars]);
    let t = this.#transports.get(key);
    if (!t) {
      // ssh would only say "Host key verification failed": name the file, the variable and the fix.
      requireSshFiles([host], this.#ctx.root);
      t = this.#make(host, this.#ctx);
      this.#transports.set(key, t);
    }
    return t;
  }

  /** Closes every connection (SSH masters exit); safe to call more than once. */
  async closeAll(): Promise<void> {
    const all = [...this.#transports.values()];
    this.#transports.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  }
}
