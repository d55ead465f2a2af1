import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_FIXTURES } from '../support/config-fixture.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..', '..');

// An independent JSON Schema validator (Debian's python3-jsonschema, Draft 7; installed with
// docker-compose from APT_PACKAGES), applying schemas/ as editors do through the
// `# yaml-language-server: $schema=` line; YAML is read as 1.2, as they read it.
const VALIDATE = `
import json, sys, jsonschema
req = json.load(sys.stdin)
errors = list(jsonschema.Draft7Validator(req["schema"]).iter_errors(req["data"]))
print(json.dumps([e.message for e in errors]))
`;

async function schemaErrors(schemaFile: string, yamlText: string): Promise<string[]> {
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const child = run('/usr/bin/python3', ['-c', VALIDATE], { timeout: 60_000 });
  child.child.stdin!.end(JSON.stringify({ schema, data: parse(yamlText) }));
  return JSON.parse((await child).stdout);
}

function schemaOf(file: string): string {
  const m = /^# yaml-language-server: \$schema=(\S+)/.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file} names no schema`);
  return resolve(dirname(file), m[1]!);
}

describe('generated JSON schemas, applied by a JSON Schema validator', () => {
  const samples = [
    'slipway.yml',
    'pipelines/app.yml',
    'pipelines/infra.yml',
    'infra/access.yml',
    'infra/sites.yml',
    'inventories/dev/hosts.yml',
    'inventories/dev/group_vars/all.yml',
    'inventories/sandbox/dev/hosts.yml',
  ];
  it.each(samples)('accept the sample %s', async (rel) => {
    const file = join(REPO, rel);
    expect(await schemaErrors(schemaOf(file), readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.each([
    ['unknown-key-top', 'pipelines/app.yml', 'pipeline', /'nmae' was unexpected/],
    ['retries-too-big', 'pipelines/app.yml', 'pipeline', /11 is greater than the maximum of 10/],
    ['redirect-bad-status', 'infra/sites.yml', 'sites', /303/],
    ['bad-duration', 'pipelines/app.yml', 'pipeline', /'3 hours' does not match/],
    ['access-bad-user-name', 'infra/access.yml', 'access', /'Bob Smith' does not match/],
  ])('reject the broken case %s', async (name, rel, schema, message) => {
    const text = readFileSync(join(CONFIG_FIXTURES, name, rel), 'utf8');
    const errors = await schemaErrors(join(REPO, 'schemas', `${schema}.schema.json`), text);
    expect(errors.join('\n')).toMatch(message);
  });
});
