// YAML inventories as Ansible 2.14's yaml inventory plugin reads them (groups with vars, children, hosts).
import { suggestionHint } from '../did-you-mean.ts';
import type { ConfigError } from '../types.ts';
import { type KeyPath, positionOf, type YamlSource } from '../yaml-source.ts';
import { expandHostPattern, HostPatternError } from './host-pattern.ts';
import { type InventoryData, InventoryRuleError } from './model.ts';

const SECTIONS = ['vars', 'children', 'hosts'];

/** Plain JS value of a YAML value read with `mapAsMap` (Maps become objects, as Python dicts in JSON). */
export function plain(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v) o[String(k)] = plain(val);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Set) return [...v].map(plain);
  return v;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'text';
  return `a ${typeof v}`;
}

/** Adds one YAML inventory file (parsed with `mapAsMap`) to `inv`; returns what is wrong with it. */
export function parseYamlInventory(src: YamlSource, inv: InventoryData): ConfigError[] {
  const errors: ConfigError[] = [];
  const fail = (path: KeyPath, message: string, hint: string, at: 'key' | 'value' = 'value') => {
    errors.push({ ...positionOf(src, path, at), key: path.map(String).join('.'), message, hint });
  };
  const data = src.value;
  if (data === null || data === undefined || (data instanceof Map && data.size === 0)) {
    fail([], 'the inventory file is empty', 'write at least "all:" with hosts, or delete the file');
    return errors;
  }
  if (!(data instanceof Map)) {
    fail(
      [],
      'a YAML inventory must be a mapping of group names',
      'start with "all:" and put hosts and children under it',
    );
    return errors;
  }
  if (data.get('plugin')) {
    fail(
      ['plugin'],
      'inventory plugin configurations are not supported',
      'write a static inventory with groups and hosts',
      'key',
    );
    return errors;
  }

  const parseGroup = (name: string, groupData: unknown, path: KeyPath): void => {
    if (groupData !== null && !(groupData instanceof Map)) {
      fail(
        path,
        `group "${name}" must be a mapping, got ${typeName(groupData)}`,
        'give it "hosts:", "children:" or "vars:"',
      );
      return;
    }
    inv.addGroup(name);
    if (groupData === null) return;
    for (const section of SECTIONS) {
      const v = groupData.get(section);
      if (typeof v === 'string') groupData.set(section, new Map([[v, null]]));
      else if (v !== undefined && v !== null && !(v instanceof Map)) {
        fail(
          [...path, section],
          `"${section}" of group "${name}" must be a mapping, got ${typeName(v)}`,
          `write "${section}:" followed by indented "name:" lines`,
        );
        groupData.delete(section);
      }
    }
    for (const [rawKey, value] of groupData) {
      const key = String(rawKey);
      if (!SECTIONS.includes(key)) {
        fail(
          [...path, key],
          `unknown key "${key}" in group "${name}"`,
          suggestionHint(key, SECTIONS, 'a group holds only'),
          'key',
        );
        continue;
      }
      if (value === null || value === undefined) continue;
      const entries = value as Map<unknown, unknown>;
      try {
        if (key === 'vars') {
          for (const [k, v] of entries) inv.setVariable(name, String(k), plain(v));
        } else if (key === 'children') {
          for (const [sub, subData] of entries) {
            const child = String(sub);
            parseGroup(child, subData, [...path, 'children', child]);
            if (inv.groups.has(child)) inv.addChild(name, child);
          }
        } else {
          for (const [pattern, hostVars] of entries) {
            const hostPath = [...path, 'hosts', String(pattern)];
            if (typeof pattern !== 'string') {
              fail(hostPath, `host pattern ${String(pattern)} must be text`, 'quote it', 'key');
              continue;
            }
            if (hostVars !== null && !(hostVars instanceof Map)) {
              fail(
                hostPath,
                `vars of host "${pattern}" must be a mapping, got ${typeName(hostVars)}`,
                'write "name: value" lines under the host',
              );
              continue;
            }
            let expanded: ReturnType<typeof expandHostPattern>;
            try {
              expanded = expandHostPattern(pattern);
            } catch (err) {
              if (!(err instanceof HostPatternError)) throw err;
              fail(
                hostPath,
                `invalid host pattern "${pattern}": ${err.message}`,
                'write a range like web[01:04] or db[a:c]',
                'key',
              );
              continue;
            }
            for (const host of expanded.hostnames) {
              inv.addHost(host, name, expanded.port);
              for (const [k, v] of hostVars ?? new Map()) inv.setVariable(host, String(k), plain(v));
            }
          }
        }
      } catch (err) {
        if (!(err instanceof InventoryRuleError)) throw err;
        fail([...path, key], err.message.replace(/\.$/, ''), 'fix the group structure');
      }
    }
  };

  for (const [groupName, groupData] of data) parseGroup(String(groupName), groupData, [String(groupName)]);
  return errors;
}
