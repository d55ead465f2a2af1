import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/config/yaml-source.ts';

const run = promisify(execFile);

// Scalars where YAML 1.1 readers disagree. The reference is PyYAML's SafeLoader from Debian's
// python3-yaml (what ansible-core reads inventories and vars files with); dates are compared as
// the isoformat() text Ansible's JSON encoder prints.
const SCALARS = [
  '1e3',
  '1.0e3',
  '1.0e+3',
  '.5',
  '+.5',
  '5.',
  '-1.5',
  '1_000.5',
  '0x1F',
  '0o17',
  '0b101',
  '017',
  '08',
  '09.5',
  '0',
  '-0',
  '+12',
  '1:20',
  '1:20.5',
  '190:20:30',
  '12:30',
  '1_0',
  '_1',
  '1.2.3',
  'yes',
  'Yes',
  'YES',
  'y',
  'Y',
  'n',
  'no',
  'on',
  'off',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'null',
  'Null',
  '~',
  'NULL',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5',
  '2001-12-14T21:59:43Z',
  '2001-1-2 1:02:03',
];

const PYTHON = `
import datetime, json, sys, yaml
d = yaml.load(sys.stdin.read(), Loader=yaml.SafeLoader)
print(json.dumps({k: v.isoformat() if isinstance(v, (datetime.date, datetime.datetime)) else v for k, v in d.items()}))
`;

describe('Ansible-flavoured YAML scalars', () => {
  it('resolve exactly as PyYAML resolves them', async () => {
    const doc = SCALARS.map((s, i) => `k${i}: ${s}\n`).join('');
    const child = run('/usr/bin/python3', ['-c', PYTHON], { timeout: 30_000 });
    child.child.stdin!.end(doc);
    const expected = JSON.parse((await child).stdout);
    expect(parseYaml(doc, 's.yml', 'ansible').source?.value).toEqual(expected);
  });
});
