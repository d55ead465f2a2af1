import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInventory } from '../../src/config/inventory/resolve.ts';
import { writeRandomInventory } from '../support/random-inventory.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..', '..');
const CORPUS = join(REPO, 'test', 'fixtures', 'inventories');
const SLIPWAY = join(REPO, 'bin', 'slipway');

// Every inventory of the corpus plus the sample ops repo's own: Slipway must resolve exactly
// what the real ansible-inventory (Debian's ansible-core) resolves.
const cases: [string, string][] = [
  ...readdirSync(CORPUS).map((n): [string, string] => [`fixtures/${n}`, join(CORPUS, n)]),
  ...['dev', 'prod', 'sandbox/dev', 'sandbox/prod'].map((e): [string, string] => [
    `inventories/${e}`,
    join(REPO, 'inventories', e),
  ]),
];

let scratch: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  // An empty cwd (ansible-inventory also reads ./group_vars) and an empty config, so neither the
  // machine's ansible.cfg nor the test's working directory changes what Ansible resolves.
  scratch = mkdtempSync(join(tmpdir(), 'slipway-ansible-'));
  writeFileSync(join(scratch, 'ansible.cfg'), '');
  env = { ...process.env, ANSIBLE_CONFIG: join(scratch, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' };
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function ansibleList(dir: string): Promise<string> {
  const { stdout } = await run('ansible-inventory', ['-i', dir, '--list'], {
    cwd: scratch,
    env,
    timeout: 60_000,
  });
  return stdout;
}

describe('inventory resolution equals ansible-inventory --list', () => {
  it.each(cases)('%s', async (_name, dir) => {
    const theirs = JSON.parse(await ansibleList(dir));
    const ours = await resolveInventory(dir, 'test');
    expect(ours.ansibleList).toEqual(theirs);
    // Hosts and their connection settings follow the same vars.
    const meta = theirs._meta.hostvars as Record<string, Record<string, unknown>>;
    for (const host of ours.hosts.values()) {
      const vars = meta[host.name] ?? {};
      expect(host.address).toBe(vars.ansible_host ?? host.name);
      expect(host.port).toBe(Number(vars.ansible_port ?? 22));
      expect(host.user).toBe(vars.ansible_user);
    }
  });

  it('slipway inventory --json prints the same text as ansible-inventory --list', async () => {
    for (const name of ['yaml-groups', 'ini-form', 'precedence']) {
      const { stdout } = await run(
        SLIPWAY,
        ['--repo', REPO, '--inventories', CORPUS, 'inventory', name, '--json'],
        {
          timeout: 60_000,
        },
      );
      expect(stdout).toBe(await ansibleList(join(CORPUS, name)));
    }
  });

  it('honours SLIPWAY_INVENTORIES', async () => {
    const { stdout } = await run(SLIPWAY, ['--repo', REPO, 'inventory', 'dev', '--json'], {
      env: { ...process.env, SLIPWAY_INVENTORIES: join(REPO, 'inventories', 'sandbox') },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual(
      JSON.parse(await ansibleList(join(REPO, 'inventories', 'sandbox', 'dev'))),
    );
  });
});

// Random inventories (YAML or INI, nested groups, shared hosts, ranges, conflicting vars at several
// depths, priorities, vars files and folders): a failing seed regenerates the same inventory.
describe('random inventories resolve as ansible-inventory resolves them', () => {
  const seeds = Array.from({ length: 30 }, (_, i) => i + 1);
  it.each(seeds)('seed %i', async (seed) => {
    const dir = join(scratch, `random-${seed}`);
    writeRandomInventory(dir, seed);
    const theirs = JSON.parse(await ansibleList(dir));
    expect((await resolveInventory(dir, 'random')).ansibleList).toEqual(theirs);
  });
});
