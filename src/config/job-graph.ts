/** The part of a job the graph needs. */
export interface GraphJob {
  needs: readonly string[];
}

/** The first cycle among `needs`, as names closing on themselves (`a -> b -> a`), or undefined. */
export function findCycle(jobs: Readonly<Record<string, GraphJob>>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'active') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'active');
    stack.push(name);
    for (const dep of jobs[name]?.needs ?? []) {
      if (!(dep in jobs)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(jobs)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Jobs in an order where each comes after everything it needs; ties keep the file's order. */
export function jobOrder(jobs: Readonly<Record<string, GraphJob>>): string[] {
  const names = Object.keys(jobs);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find(
      (n) => !done.has(n) && (jobs[n]?.needs ?? []).every((d) => done.has(d) || !(d in jobs)),
    );
    if (next === undefined) throw new Error(`jobs form a cycle: ${(findCycle(jobs) ?? []).join(' -> ')}`);
    done.add(next);
    order.push(next);
  }
  return order;
}
