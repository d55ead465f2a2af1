// INI inventories as Ansible 2.14's ini inventory plugin reads them: [group], [group:vars],
// [group:children], host lines with key=value vars, values read as Python literals.
import type { ConfigError } from '../types.ts';
import { expandHostPattern, HostPatternError } from './host-pattern.ts';
import { type InventoryData, InventoryRuleError } from './model.ts';
import { iniValue } from './python-literal.ts';
import { ShlexError, shlexSplit } from './shlex.ts';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

class IniError extends Error {
  readonly line: number;
  readonly hint: string;
  constructor(line: number, message: string, hint: string) {
    super(message);
    this.line = line;
    this.hint = hint;
  }
}

interface Pending {
  line: number;
  state: 'vars' | 'children';
  parents: string[];
}

/** Adds one INI inventory file to `inv`; the first problem stops the file, as in Ansible. */
export function parseIniInventory(text: string, file: string, inv: InventoryData): ConfigError[] {
  try {
    parseLines(text.split(/\r\n|\n|\r/), inv);
    return [];
  } catch (err) {
    if (err instanceof IniError)
      return [{ file, line: err.line, col: 1, key: '', message: err.message, hint: err.hint }];
    throw err;
  }
}

function parseLines(lines: string[], inv: InventoryData): void {
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state = 'hosts';
  const addPendingChildren = (g: string) => {
    for (const parent of pending.get(g)!.parents) {
      inv.addChild(parent, g);
      if (pending.get(parent)?.state === 'children') addPendingChildren(parent);
    }
    pending.delete(g);
  };
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === ';') return;
    const rule = (f: () => void) => {
      try {
        f();
      } catch (err) {
        if (err instanceof InventoryRuleError)
          throw new IniError(lineNo, err.message.replace(/\.$/, ''), 'fix the group structure');
        throw err;
      }
    };
    const section = SECTION.exec(line);
    if (section) {
      group = section[1]!;
      state = section[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        throw new IniError(
          lineNo,
          `section [${group}:${state}] has unknown type "${state}"`,
          'write [name], [name:vars] or [name:children]',
        );
      }
      if (!inv.groups.has(group)) {
        if (state === 'vars' && !pending.has(group))
          pending.set(group, { line: lineNo, state: 'vars', parents: [] });
        inv.addGroup(group);
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children') rule(() => addPendingChildren(group));
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw new IniError(
        lineNo,
        `invalid section "${line}"`,
        'write [name], [name:vars] or [name:children] without spaces',
      );
    }
    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (err) {
        if (err instanceof ShlexError)
          throw new IniError(lineNo, `cannot split host line: ${err.message}`, 'close the quote');
        throw err;
      }
      let expanded: ReturnType<typeof expandHostPattern>;
      try {
        expanded = expandHostPattern(tokens[0]!);
      } catch (err) {
        if (err instanceof HostPatternError) {
          throw new IniError(
            lineNo,
            `invalid host pattern "${tokens[0]}": ${err.message}`,
            'write a range like web[01:04] or db[a:c]',
          );
        }
        throw err;
      }
      if (tokens[0]!.trim().endsWith(':') && expanded.port === undefined) {
        throw new IniError(
          lineNo,
          `invalid host pattern "${tokens[0]}": it ends in ":"`,
          'write host:port with a port number, or drop the ":"',
        );
      }
      const vars: [string, unknown][] = [];
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0)
          throw new IniError(
            lineNo,
            `expected key=value host variable, got "${t}"`,
            'write name=value after the host name',
          );
        vars.push([t.slice(0, eq), iniValue(t.slice(eq + 1))]);
      }
      rule(() => {
        for (const host of expanded.hostnames) {
          inv.addHost(host, group, expanded.port);
          for (const [k, v] of vars) inv.setVariable(host, k, v);
        }
      });
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0)
        throw new IniError(
          lineNo,
          `expected key=value, got "${line}"`,
          'write name=value lines in a [group:vars] section',
        );
      const k = line.slice(0, eq).trim();
      const v = line.slice(eq + 1).trim();
      rule(() => inv.setVariable(group, k, iniValue(v)));
    } else {
      const m = GROUP_NAME.exec(line);
      if (!m)
        throw new IniError(
          lineNo,
          `expected a group name, got "${line}"`,
          'write one group name per line in [group:children]',
        );
      const child = m[1]!;
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (p) p.parents.push(group);
        else pending.set(child, { line: lineNo, state: 'children', parents: [group] });
      } else rule(() => inv.addChild(group, child));
    }
  });
  for (const [name, p] of pending) {
    if (p.state === 'vars') {
      throw new IniError(
        p.line,
        `section [${name}:vars] is for a group that is never defined`,
        `add a [${name}] section or remove it`,
      );
    }
    throw new IniError(
      p.line,
      `section [${p.parents.at(-1)}:children] includes undefined group "${name}"`,
      `add a [${name}] section`,
    );
  }
}
