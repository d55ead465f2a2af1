// The in-memory inventory, with the rules of Ansible 2.14's InventoryData/Group/Host that decide
// what `ansible-inventory --list` prints: insertion order, implicit `all`/`ungrouped`, group depth.
import type { Vars } from '../types.ts';

/** A rule of the inventory broken (group loop, unknown group); the message follows Ansible's. */
export class InventoryRuleError extends Error {}

/** One group: its own vars, child groups and direct hosts, in the order they were added. */
export class Group {
  readonly name: string;
  vars: Vars = {};
  readonly children: Group[] = [];
  readonly parents: Group[] = [];
  hosts: Host[] = [];
  priority = 1;
  constructor(name: string) {
    this.name = name;
  }
}

/** One host: its own inventory vars and the groups it was put in directly. */
export class Host {
  readonly name: string;
  vars: Vars = {};
  groups: Group[] = [];
  constructor(name: string) {
    this.name = name;
  }
}

/** Groups and hosts of one inventory as its source files declare them. */
export class InventoryData {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  /** Adds a group if new; returns its name. */
  addGroup(name: string): string {
    if (!name) throw new InventoryRuleError(`Invalid empty/false group name provided: ${name}`);
    if (!this.groups.has(name)) this.groups.set(name, new Group(name));
    return name;
  }

  /** Adds a host if new (a port becomes its `ansible_port`), and puts it in `group`. */
  addHost(name: string, group?: string, port?: number): void {
    if (!name) throw new InventoryRuleError(`Invalid empty host name provided: ${name}`);
    let g: Group | undefined;
    if (group) {
      g = this.groups.get(group);
      if (!g) throw new InventoryRuleError(`Could not find group ${group} in inventory`);
    }
    let h = this.hosts.get(name);
    if (!h) {
      h = new Host(name);
      if (port) h.vars.ansible_port = port;
      this.hosts.set(name, h);
    }
    if (g) addHostToGroup(g, h);
  }

  /** Makes `child` (a group, else a host) a member of `group`. */
  addChild(group: string, child: string): void {
    const g = this.groups.get(group);
    if (!g) throw new InventoryRuleError(`${group} is not a known group`);
    const c = this.groups.get(child);
    if (c) {
      if (c === g) throw new InventoryRuleError("can't add group to itself");
      if (g.children.includes(c)) return;
      if (ancestors(g).has(c)) {
        throw new InventoryRuleError(
          `Adding group '${c.name}' as child to '${g.name}' creates a recursive dependency loop.`,
        );
      }
      g.children.push(c);
      if (!c.parents.includes(g)) c.parents.push(g);
      return;
    }
    const h = this.hosts.get(child);
    if (!h) throw new InventoryRuleError(`${child} is not a known host nor group`);
    addHostToGroup(g, h);
  }

  /** Sets a variable on a group (checked first, as Ansible does) or a host. */
  setVariable(entity: string, key: string, value: unknown): void {
    const g = this.groups.get(entity);
    if (g) {
      if (key === 'ansible_group_priority') g.priority = Math.trunc(Number(value));
      else g.vars[key] = value;
      return;
    }
    const h = this.hosts.get(entity);
    if (!h) throw new InventoryRuleError(`Could not identify group or host named ${entity}`);
    h.vars[key] = value;
  }

  /** Ansible's reconcile_inventory: top groups under `all`, group-less hosts into `ungrouped`. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    const ungrouped = this.groups.get('ungrouped')!;
    for (const g of [...this.groups.values()]) {
      if (g !== all && ancestors(g).size === 0) this.addChild('all', g.name);
    }
    for (const h of this.hosts.values()) {
      const mine = hostGroups(h);
      if (mine.has(ungrouped)) {
        if ([...mine].some((g) => g !== all && g !== ungrouped)) {
          ungrouped.hosts = ungrouped.hosts.filter((x) => x !== h);
          h.groups = h.groups.filter((x) => x !== ungrouped);
        }
      } else if (mine.size === 0 || (mine.size === 1 && mine.has(all))) {
        addHostToGroup(ungrouped, h);
      }
    }
  }
}

function addHostToGroup(g: Group, h: Host): void {
  if (g.hosts.includes(h)) return;
  g.hosts.push(h);
  if (!h.groups.includes(g)) h.groups.push(g);
}

/** Every group above `g` (parents, their parents, ...). */
export function ancestors(g: Group): Set<Group> {
  const seen = new Set<Group>();
  const todo = [...g.parents];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    todo.push(...p.parents);
  }
  return seen;
}

/** The groups a host belongs to, directly or through children. */
export function hostGroups(h: Host): Set<Group> {
  const out = new Set<Group>();
  for (const g of h.groups) {
    out.add(g);
    for (const a of ancestors(g)) out.add(a);
  }
  return out;
}

/** Group depth as Ansible keeps it: the longest chain of parents up to `all`. */
export function depthOf(g: Group, memo = new Map<Group, number>()): number {
  const known = memo.get(g);
  if (known !== undefined) return known;
  const d = g.parents.length === 0 ? 0 : Math.max(...g.parents.map((p) => depthOf(p, memo) + 1));
  memo.set(g, d);
  return d;
}
