// Resolves an environment's inventory directory (or file) exactly as `ansible-inventory -i PATH --list` does.
import { accessSync, constants, readdirSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { ConfigErrorList } from '../errors.ts';
import { readConfigText, statOrUndefined } from '../file-read.ts';
import type { ConfigError, Inventory, InventoryHost, Vars } from '../types.ts';
import { parseYaml, readYaml } from '../yaml-source.ts';
import { parseIniInventory } from './ini-inventory.ts';
import { depthOf, type Group, type Host, hostGroups, InventoryData } from './model.ts';
import { byCodePoint, VarsFileReader } from './vars-files.ts';
import { VaultDecrypter, VaultText } from './vault.ts';
import { parseYamlInventory } from './yaml-inventory.ts';

// Names ansible-inventory skips in a directory source (IGNORED_ALWAYS + INVENTORY_IGNORE_EXTS defaults).
const IGNORED =
  /^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

// Variables ansible-inventory leaves out of --list (its INTERNAL_VARS).
const INTERNAL_VARS = [
  'ansible_diff_mode',
  'ansible_config_file',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'omit',
  'playbook_dir',
];

/** Where messages say files are; defaults to the current directory. */
export interface ResolveOptions {
  displayRoot?: string;
  /** Decrypts `!vault` values; default: ANSIBLE_VAULT_PASSWORD_FILE. */
  vaultPasswordFile?: string;
}

function sourceFiles(path: string, errors: ConfigError[], shown: (p: string) => string): string[] {
  if (!statOrUndefined(path)?.isDirectory()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort(byCodePoint)) {
    if (IGNORED.test(name)) continue;
    const full = join(path, name);
    if (statOrUndefined(full)?.isDirectory()) {
      out.push(...sourceFiles(full, errors, shown));
      continue;
    }
    try {
      accessSync(full, constants.X_OK);
      errors.push({
        file: shown(full),
        line: 1,
        col: 1,
        key: '',
        message: 'executable inventory scripts are not supported',
        hint: 'commit a static YAML or INI inventory, or remove the executable bit (chmod -x)',
      });
      continue;
    } catch {
      // not executable: a static inventory file
    }
    out.push(full);
  }
  return out;
}

function parseSource(file: string, inv: InventoryData, shown: string): ConfigError[] {
  const ext = extname(file);
  if (ext === '.toml') {
    return [
      {
        file: shown,
        line: 1,
        col: 1,
        key: '',
        message: 'TOML inventories are not supported',
        hint: 'use YAML or INI',
      },
    ];
  }
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') {
    const { source, errors } = readYaml(file, shown, 'ansible', { mapAsMap: true });
    return source ? parseYamlInventory(source, inv) : errors;
  }
  const { text, error } = readConfigText(file, shown);
  if (error || text === undefined) return error ? [error] : [];
  if (!ext) {
    // Ansible tries the YAML plugin first for files without an extension, then INI.
    const { source } = parseYaml(text, shown, 'ansible', { mapAsMap: true });
    if (source && source.value instanceof Map && source.value.size > 0 && !source.value.get('plugin')) {
      return parseYamlInventory(source, inv);
    }
  }
  return parseIniInventory(text, shown, inv);
}

function sortGroups(groups: Iterable<Group>, depth: Map<Group, number>): Group[] {
  return [...groups].sort(
    (a, b) => depthOf(a, depth) - depthOf(b, depth) || a.priority - b.priority || byCodePoint(a.name, b.name),
  );
}

/** Hosts of a group and of its descendants, in inventory order. */
function groupHosts(g: Group): string[] {
  const order: Group[] = [g];
  const seen = new Set(order);
  for (let i = 0; i < order.length; i++) {
    for (const c of order[i]!.children) {
      if (!seen.has(c)) {
        seen.add(c);
        order.push(c);
      }
    }
  }
  const hosts = new Set<string>();
  for (const grp of order) for (const h of grp.hosts) hosts.add(h.name);
  return [...hosts];
}

/** The `ansible-inventory --list` document: groups with direct hosts and children, then `_meta.hostvars`. */
function listDocument(inv: InventoryData, hostvars: Map<Host, Vars>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const format = (g: Group) => {
    const entry: Record<string, unknown> = {};
    if (g.name !== 'all' && g.hosts.length > 0) entry.hosts = g.hosts.map((h) => h.name);
    const children: string[] = [];
    const nested: [string, Record<string, unknown>][] = [];
    for (const c of g.children) {
      children.push(c.name);
      if (!seen.has(c.name)) {
        const sub = format(c);
        if (sub) nested.push([c.name, sub]);
        seen.add(c.name);
      }
    }
    if (children.length > 0) entry.children = children;
    for (const [name, sub] of nested) out[name] = sub;
    return Object.keys(entry).length > 0 ? entry : undefined;
  };
  const all = format(inv.groups.get('all')!);
  if (all) out.all = all;
  const meta: Record<string, Vars> = {};
  for (const [h, vars] of hostvars) if (Object.keys(vars).length > 0) meta[h.name] = vars;
  out._meta = { hostvars: meta };
  return sortKeys(out) as Record<string, unknown>;
}

/** Object keys sorted recursively, as `ansible-inventory` prints them (json sort_keys). */
export function sortKeys(v: unknown): unknown {
  if (v instanceof VaultText) return v.toJSON();
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(byCodePoint)) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/**
 * Reads an inventory (a directory of YAML/INI files with group_vars/ and host_vars/, or one file)
 * and resolves hosts, groups and variables with Ansible's precedence. Throws ConfigErrorList.
 */
export async function resolveInventory(
  path: string,
  envName: string,
  opts: ResolveOptions = {},
): Promise<Inventory> {
  return resolveInventorySync(path, envName, opts);
}

/** Synchronous `resolveInventory`, for callers that resolve many inventories in one pass. */
export function resolveInventorySync(path: string, envName: string, opts: ResolveOptions = {}): Inventory {
  const root = resolve(opts.displayRoot ?? process.cwd());
  const abs = resolve(path);
  const shown = (p: string) => relative(root, p) || basename(p);
  const errors: ConfigError[] = [];
  const st = statOrUndefined(abs);
  if (!st) {
    throw new ConfigErrorList([
      {
        file: shown(abs),
        line: 1,
        col: 1,
        key: '',
        message: `inventory of environment "${envName}" not found`,
        hint: `create ${shown(abs)}/hosts.yml`,
      },
    ]);
  }
  const inv = new InventoryData();
  for (const file of sourceFiles(abs, errors, shown)) errors.push(...parseSource(file, inv, shown(file)));
  inv.reconcile();

  const base = st.isDirectory() ? abs : dirname(abs);
  const reader = new VarsFileReader(root);
  const groupFileVars = new Map<string, Vars>();
  const fileVarsOfGroup = (name: string) => {
    let v = groupFileVars.get(name);
    if (!v) {
      v = reader.varsFor(join(base, 'group_vars'), name);
      groupFileVars.set(name, v);
    }
    return v;
  };
  const all = inv.groups.get('all')!;
  const depth = new Map<Group, number>();
  const hostvars = new Map<Host, Vars>();
  const hosts = new Map<string, InventoryHost>();
  const vault = new VaultDecrypter(
    opts.vaultPasswordFile ?? (process.env.ANSIBLE_VAULT_PASSWORD_FILE || undefined),
  );
  for (const h of inv.hosts.values()) {
    const mine = hostGroups(h);
    const groups = sortGroups(
      [...mine].filter((g) => g !== all),
      depth,
    );
    let vars: Vars = { ...all.vars };
    for (const g of groups) Object.assign(vars, g.vars);
    Object.assign(vars, fileVarsOfGroup('all'));
    for (const g of groups) Object.assign(vars, fileVarsOfGroup(g.name));
    Object.assign(vars, h.vars, reader.varsFor(join(base, 'host_vars'), h.name));
    vars = Object.fromEntries(Object.entries(vars).filter(([k]) => !INTERNAL_VARS.includes(k)));
    // The list document keeps vault values encrypted, as ansible-inventory prints them; hosts get plaintext.
    hostvars.set(h, vars);
    try {
      vars = vault.decryptVars(vars);
    } catch (err) {
      errors.push({
        file: shown(abs),
        line: 1,
        col: 1,
        key: h.name,
        message: `host ${h.name}: ${(err as Error).message}`,
        hint: 'give Slipway the vault password file the values were encrypted with',
      });
    }
    // Ansible still honours the older ansible_ssh_* names, and prefers them when both are set.
    const port = Number(vars.ansible_ssh_port ?? vars.ansible_port ?? 22);
    const user = vars.ansible_ssh_user ?? vars.ansible_user;
    hosts.set(h.name, {
      name: h.name,
      address: String(vars.ansible_ssh_host ?? vars.ansible_host ?? h.name),
      port: Number.isFinite(port) ? port : 22,
      ...(user !== undefined ? { user: String(user) } : {}),
      vars,
      groups: groups.map((g) => g.name).sort(byCodePoint),
    });
  }
  errors.push(...reader.errors);
  if (errors.length > 0) throw new ConfigErrorList(errors);

  const groups = new Map<string, string[]>();
  for (const g of inv.groups.values()) groups.set(g.name, groupHosts(g));
  return {
    environment: envName,
    dir: abs,
    hosts,
    groups,
    ansibleList: listDocument(inv, hostvars),
    vaultValues: vault.values(),
  };
}
