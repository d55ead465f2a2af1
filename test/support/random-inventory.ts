import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A small seeded PRNG (mulberry32), so a failing random inventory can be regenerated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

const YAML_VALUES = [
  '1',
  '-7',
  '3.5',
  'yes',
  'off',
  'true',
  'null',
  'word',
  '"quoted text"',
  "'0644'",
  '0644',
  '[1, two]',
  '{k: v}',
  '"with: colon"',
  '1e3',
  '08',
  'y',
  '2001-12-14T21:59:43Z',
];
const INI_VALUES = [
  '1',
  '-7',
  '3.5',
  'True',
  'False',
  'None',
  'word',
  "'quoted'",
  '"5"',
  '0644',
  "[1,'two']",
  "{'k':1}",
  'yes',
  "u'x'",
];

/**
 * Writes a random inventory directory (YAML or INI form) with nested groups, shared hosts, host
 * ranges, conflicting vars at several depths, priorities, and group_vars/host_vars files and folders.
 */
export function writeRandomInventory(root: string, seed: number): void {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const groupCount = 3 + Math.floor(rnd() * 4);
  const groups = Array.from({ length: groupCount }, (_, i) => `g${i}`);
  const varNames = ['v_a', 'v_b', 'v_c', 'ansible_port', 'ansible_user'];
  const hostPatterns = ['h1', 'h2', 'h3', 'web[1:3]', 'db[a:c]', 'n[01:10:5]', 'x.example.com:2201'];
  const ini = rnd() < 0.5;
  const parents = new Map<string, string[]>();
  for (let i = 1; i < groupCount; i++) {
    if (rnd() < 0.6) parents.set(groups[i]!, [groups[Math.floor(rnd() * i)]!]);
  }
  const members = new Map(groups.map((g) => [g, hostPatterns.filter(() => rnd() < 0.3)]));
  const vars = (values: readonly string[]) =>
    varNames
      .filter(() => rnd() < 0.4)
      .map((k) => [k, k === 'ansible_port' ? String(2000 + Math.floor(rnd() * 100)) : pick(values)] as const);

  if (ini) {
    let text = pick(['', 'loose1\nloose2 v_a=1\n\n']);
    for (const g of groups) {
      text += `[${g}]\n`;
      for (const h of members.get(g)!)
        text += `${h}${vars(INI_VALUES)
          .map(([k, v]) => ` ${k}=${v}`)
          .join('')}\n`;
      const gv = vars(INI_VALUES);
      if (rnd() < 0.3) gv.push(['ansible_group_priority', String(Math.floor(rnd() * 5))]);
      if (gv.length) text += `\n[${g}:vars]\n${gv.map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
      text += '\n';
    }
    for (const [child, ps] of parents) for (const p of ps) text += `[${p}:children]\n${child}\n\n`;
    write(root, 'hosts', text);
  } else {
    const block = (g: string, indent: string): string => {
      let out = `${indent}${g}:\n`;
      const gv = vars(YAML_VALUES);
      if (rnd() < 0.3) gv.push(['ansible_group_priority', String(Math.floor(rnd() * 5))]);
      if (gv.length) out += `${indent}  vars:\n${gv.map(([k, v]) => `${indent}    ${k}: ${v}\n`).join('')}`;
      const hs = members.get(g)!;
      if (hs.length) {
        out += `${indent}  hosts:\n`;
        for (const h of hs) {
          const hv = vars(YAML_VALUES);
          out += `${indent}    ${h}:${hv.length ? `\n${hv.map(([k, v]) => `${indent}      ${k}: ${v}\n`).join('')}` : '\n'}`;
        }
      }
      const kids = groups.filter((c) => parents.get(c)?.includes(g));
      if (kids.length) out += `${indent}  children:\n${kids.map((c) => block(c, `${indent}    `)).join('')}`;
      return out;
    };
    const tops = groups.filter((g) => !parents.has(g));
    write(
      root,
      'hosts.yml',
      `all:\n  vars:\n    v_a: from-all\n  children:\n${tops.map((g) => block(g, '    ')).join('')}`,
    );
  }
  for (const g of ['all', ...groups]) {
    const r = rnd();
    const body = () =>
      `${vars(YAML_VALUES)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}\n`;
    if (r < 0.3) write(root, `group_vars/${g}.yml`, body());
    else if (r < 0.5) {
      write(root, `group_vars/${g}/a.yml`, body());
      write(root, `group_vars/${g}/sub/b.yaml`, body());
    }
  }
  for (const h of ['h1', 'web2', 'dba'])
    if (rnd() < 0.4) write(root, `host_vars/${h}.yml`, `v_c: host-file-${h}\n`);
}
