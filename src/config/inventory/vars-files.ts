// group_vars/ and host_vars/ lookup as Ansible's host_group_vars plugin and DataLoader.find_vars_files do it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { ConfigError, Vars } from '../types.ts';
import { readYaml } from '../yaml-source.ts';

const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function dirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort(byCodePoint)) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const full = join(dir, name);
    const ext = extname(name);
    if (isDir(full)) {
      if (!ext) out.push(...dirFiles(full));
    } else if (!ext || VARS_EXTENSIONS.includes(ext)) out.push(full);
  }
  return out;
}

/** Python's default string order (code points), which Ansible sorts file names with. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Files holding vars for `name` under `dir` (e.g. group_vars): `name/` (recursively), else `name`, `.yml`, `.yaml`, `.json`. */
export function findVarsFiles(dir: string, name: string): string[] {
  if (name.startsWith('/')) return [];
  const base = join(dir, name);
  for (const ext of ['', ...VARS_EXTENSIONS]) {
    const p = base + ext;
    if (!existsSync(p)) continue;
    return isDir(p) ? dirFiles(p) : [p];
  }
  return [];
}

/** Reads vars files once each and merges them in order (top-level keys replace, as Ansible's default). */
export class VarsFileReader {
  private readonly cache = new Map<string, Vars>();
  readonly errors: ConfigError[] = [];
  private readonly displayRoot: string;

  constructor(displayRoot: string) {
    this.displayRoot = displayRoot;
  }

  /** Merged vars of `name` from `dir` (group_vars/ or host_vars/ of the inventory). */
  varsFor(dir: string, name: string): Vars {
    let out: Vars = {};
    for (const file of findVarsFiles(dir, name)) out = { ...out, ...this.read(file) };
    return out;
  }

  private read(abs: string): Vars {
    const cached = this.cache.get(abs);
    if (cached) return cached;
    const shown = relative(this.displayRoot, abs) || abs;
    const { source, errors } = readYaml(abs, shown, 'ansible');
    let vars: Vars = {};
    if (errors.length > 0) this.errors.push(...errors);
    else if (source && source.value !== null && source.value !== undefined) {
      if (typeof source.value === 'object' && !Array.isArray(source.value)) vars = source.value as Vars;
      else {
        this.errors.push({
          file: shown,
          line: 1,
          col: 1,
          key: '',
          message: 'a vars file must hold a mapping of variable names to values',
          hint: 'write "name: value" lines',
        });
      }
    }
    this.cache.set(abs, vars);
    return vars;
  }
}
