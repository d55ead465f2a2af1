/** The two host ports of each service: releases alternate between them, so old and new run side by side. */
export type PortPairs = Record<string, [number, number]>;

/** Range host ports are allocated from, clear of the usual ephemeral range (32768+). */
export const PORT_RANGE: readonly [number, number] = [20000, 29999];

/** Ports that something listens on, from `ss -Hltn` output. */
export function parseListeningPorts(ssOutput: string): Set<number> {
  const ports = new Set<number>();
  for (const line of ssOutput.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) ports.add(Number(m[1]));
  }
  return ports;
}

/** What allocation decided for a release. */
export interface PortAllocation {
  /** Pairs to store on the host (unchanged pairs keep their values). */
  pairs: PortPairs;
  /** The port of each service in the new release. */
  ports: Record<string, number>;
}

/**
 * Gives each service the slot of its pair that the live release does not use. A service keeps its
 * pair across releases; a new service, or a slot someone else took meanwhile, gets a port that is
 * neither listening (`listening`) nor reserved by any app's pairs (`reserved`, this app's included).
 */
export function allocatePorts(input: {
  services: readonly string[];
  existing: PortPairs;
  live?: Readonly<Record<string, number>>;
  listening: ReadonlySet<number>;
  reserved: ReadonlySet<number>;
  range?: readonly [number, number];
}): PortAllocation {
  const [lo, hi] = input.range ?? PORT_RANGE;
  const used = new Set<number>([...input.listening, ...input.reserved]);
  for (const pair of Object.values(input.existing)) for (const p of pair) used.add(p);
  const next = (): number => {
    for (let p = lo; p <= hi; p++) {
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
    throw new Error(`no free port left in ${lo}-${hi}`);
  };
  const pairs: PortPairs = {};
  const ports: Record<string, number> = {};
  for (const service of input.services) {
    const pair: [number, number] = input.existing[service] ? [...input.existing[service]] : [next(), next()];
    const live = input.live?.[service];
    const slot = live === pair[0] ? 1 : 0;
    // The live release's own port listens, of course; any other listener on our slot is a squatter.
    if (input.listening.has(pair[slot]!) && pair[slot] !== live) pair[slot] = next();
    pairs[service] = pair;
    ports[service] = pair[slot]!;
  }
  return { pairs, ports };
}
