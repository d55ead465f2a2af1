import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRepo } from '../../src/config/load-repo.ts';
import type { Inventory, OpsRepo } from '../../src/config/types.ts';
import type { Change } from '../../src/core/changes.ts';
import { sshKeysKind } from '../../src/steps/kinds/ssh-keys.ts';
import { sshKeysHandler } from '../../src/steps/ssh-keys.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { sshLogin } from '../support/ssh-login.ts';
import { stepContext } from '../support/step-context.ts';

const HOSTS = ['dev1', 'prod1'];
const PEOPLE = ['alice', 'bob', 'eve', 'next'];

const ACCESS = `users:
  root:
    keys: [alice]
  deploy:
    keys: [alice, bob]
    groups: [docker]
  bob:
    keys: [bob]
    hosts: [dev1]
`;

describe('ssh-keys on sandbox hosts: roles/ssh_keys, exact keys, lock-out guard, drift', () => {
  let sb: SandboxFixture;
  let keysDir: string;
  let repoDir: string;
  let repo: OpsRepo;
  let dev: Inventory;
  const key = (who: string) => join(keysDir, who);
  const pub = (who: string) => readFileSync(`${key(who)}.pub`, 'utf8').trim();
  const login = (host: string, user: string, who: string, command?: string) => {
    const h = sb.hosts.find((x) => x.name === host)!;
    const file = who === 'runner' ? sb.sshKey : key(who);
    return sshLogin({ address: h.address, port: h.port, knownHosts: sb.knownHosts }, user, file, command);
  };
  const fp = async (who: string) =>
    (await execa('ssh-keygen', ['-lf', `${key(who)}.pub`])).stdout.split(' ')[1]!;
  const stepOf = (opts: Record<string, unknown> = {}) =>
    sshKeysKind.schema.parse({ 'ssh-keys': { hosts: 'all', ...opts } });
  const ctxFor = (inventory: Inventory = dev, r: OpsRepo = repo) =>
    stepContext({
      workdir: r.root,
      sha: 'd'.repeat(40),
      pipeline: {
        name: 'infra',
        jobs: { keys: { environment: inventory.environment, steps: [{ 'ssh-keys': {} }] } },
      },
      inventory,
      repo: r,
    });
  const resetHosts = async () => {
    const runnerKey = readFileSync(`${sb.sshKey}.pub`, 'utf8');
    for (const h of HOSTS) {
      for (const u of ['deploy', 'bob', 'manual'])
        await sb.exec(h, ['sh', '-c', 'userdel -r "$1" 2>/dev/null; rm -rf "/home/$1"', 'x', u]);
      await sb.exec(h, ['rm', '-f', '/var/lib/slipway/ssh-keys/accounts.json']);
      await sb.exec(h, ['tee', '/root/.ssh/authorized_keys'], { input: runnerKey });
      await sb.exec(h, ['chmod', '0600', '/root/.ssh/authorized_keys']);
    }
  };
  const load = async (access: string): Promise<OpsRepo> => {
    const files: Record<string, string> = { 'infra/access.yml': access };
    for (const p of PEOPLE) files[`infra/ssh-keys/${p}.pub`] = `${pub(p)}\n`;
    files['pipelines/infra.yml'] =
      'name: infra\njobs:\n  dev: { environment: dev, steps: [ { ssh-keys: {} } ] }\n  prod: { environment: prod, steps: [ { ssh-keys: {} } ] }\n';
    repoDir = tempOpsRepo(files);
    const loaded = await loadRepo(repoDir, { inventoriesRoot: sb.inventoriesRoot });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return loaded.repo;
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'sshkeys', hosts: HOSTS });
    keysDir = mkdtempSync(join(tmpdir(), 'slipway-e2e-keys-'));
    for (const p of PEOPLE)
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${p}@e2e.test`, '-f', key(p)]);
    await resetHosts();
    repo = await load(ACCESS);
    dev = repo.inventories.get('dev')!;
  });

  afterAll(async () => {
    // The instance stays for the next file: its runner key must log in as root again.
    if (sb) await resetHosts();
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
    if (repoDir) rmSync(repoDir, { recursive: true, force: true });
  });

  it('plans users and keys per host by comment and SHA256 fingerprint, keeping the runner key', async () => {
    const { ctx, lines } = ctxFor();
    const plan = await sshKeysHandler.plan(ctx, stepOf());
    const [alice, bob] = [await fp('alice'), await fp('bob')];
    const runnerFp = (await execa('ssh-keygen', ['-lf', `${sb.sshKey}.pub`])).stdout.split(' ')[1]!;
    expect(plan.map((c: Change) => `${c.host} ${c.action} ${c.subject}`)).toEqual([
      'dev1 add authorized_keys root: alice@e2e.test (' + alice + ')',
      `dev1 change authorized_keys root: keeps Slipway's own key slipway-sandbox-sshkeys (${runnerFp})`,
      'dev1 add user deploy',
      `dev1 add authorized_keys deploy: alice@e2e.test (${alice})`,
      `dev1 add authorized_keys deploy: bob@e2e.test (${bob})`,
      'dev1 add user bob',
      `dev1 add authorized_keys bob: bob@e2e.test (${bob})`,
    ]);
    expect(lines.some((l) => l.host === 'dev1' && /keeping Slipway's own key/.test(l.line))).toBe(true);
    // The plan changed nothing.
    expect(await login('dev1', 'root', 'alice')).toBeUndefined();
    expect(await sb.exec('dev1', ['sh', '-c', 'getent passwd deploy || echo missing'])).toBe('missing');
  });

  it('applies: listed keys log in, unlisted ones are refused, the runner key survives, deploy may use docker', async () => {
    const { ctx, lines } = ctxFor();
    expect(await sshKeysHandler.apply(ctx, stepOf())).toEqual({ changed: true, hosts: { dev1: 'changed' } });
    expect(lines.filter((l) => /^fresh login as root/.test(l.line)).length).toBe(2);
    expect(await login('dev1', 'root', 'alice')).toBe('root');
    expect(await login('dev1', 'root', 'runner')).toBe('root');
    expect(await login('dev1', 'deploy', 'alice')).toBe('deploy');
    expect(await login('dev1', 'deploy', 'bob', 'id -nG')).toContain('docker');
    expect(await login('dev1', 'bob', 'bob')).toBe('bob');
    expect(await login('dev1', 'root', 'bob')).toBeUndefined();
    expect(await login('dev1', 'deploy', 'eve')).toBeUndefined();
    expect(
      await sb.exec('dev1', [
        'stat',
        '-c',
        '%a %U',
        '/home/deploy/.ssh',
        '/home/deploy/.ssh/authorized_keys',
      ]),
    ).toBe('700 deploy\n600 deploy');
    // The prod host was not in this job's inventory.
    expect(await login('prod1', 'root', 'alice')).toBeUndefined();
  });

  it('plans zero changes on a second run, and a second apply changes nothing', async () => {
    expect(await sshKeysHandler.plan(ctxFor().ctx, stepOf())).toEqual([]);
    expect(await sshKeysHandler.apply(ctxFor().ctx, stepOf())).toEqual({
      changed: false,
      hosts: { dev1: 'ok' },
    });
  });

  it('detects a key added by hand as drift and removes it on apply', async () => {
    await sb.exec('dev1', ['tee', '-a', '/home/deploy/.ssh/authorized_keys'], { input: `${pub('eve')}\n` });
    expect(await login('dev1', 'deploy', 'eve')).toBe('deploy');
    const plan = await sshKeysHandler.plan(ctxFor().ctx, stepOf());
    expect(plan).toEqual([
      {
        host: 'dev1',
        action: 'remove',
        subject: `authorized_keys deploy: eve@e2e.test (${await fp('eve')})`,
      },
    ]);
    await sshKeysHandler.apply(ctxFor().ctx, stepOf());
    expect(await login('dev1', 'deploy', 'eve')).toBeUndefined();
    expect(await login('dev1', 'deploy', 'alice')).toBe('deploy');
  });

  it('removes a key taken out of access.yml', async () => {
    const fewer = await load(ACCESS.replace('keys: [alice, bob]', 'keys: [alice]'));
    const inv = fewer.inventories.get('dev')!;
    const plan = await sshKeysHandler.plan(ctxFor(inv, fewer).ctx, stepOf());
    expect(plan).toEqual([
      {
        host: 'dev1',
        action: 'remove',
        subject: `authorized_keys deploy: bob@e2e.test (${await fp('bob')})`,
      },
    ]);
    await sshKeysHandler.apply(ctxFor(inv, fewer).ctx, stepOf());
    expect(await login('dev1', 'deploy', 'bob')).toBeUndefined();
    expect(await login('dev1', 'bob', 'bob')).toBe('bob');
  });

  it('fails naming an unreachable host, which is reported per host', async () => {
    await sb.stopSshd('dev1');
    try {
      const { ctx, statuses } = ctxFor();
      // The cause inline (ssh's own words), not "All items completed" and a path to artifacts.
      await expect(sshKeysHandler.apply(ctx, stepOf())).rejects.toThrow(
        /dev1 \(unreachable: .*(Connection refused|No route to host|timed out)/,
      );
      expect(statuses).toContainEqual(expect.objectContaining({ host: 'dev1', status: 'unreachable' }));
    } finally {
      await sb.startSshd('dev1');
    }
    expect(await login('dev1', 'deploy', 'alice')).toBe('deploy');
  });

  it('rotates the runner key only when asked and after a login with the next key is proven', async () => {
    const rotated = await load(ACCESS.replace('root:\n    keys: [alice]', 'root:\n    keys: [alice, next]'));
    const prod = rotated.inventories.get('prod')!;
    // Without a next key Slipway holds, a rotation is refused before anything changes.
    await expect(
      sshKeysHandler.apply(ctxFor(prod, rotated).ctx, stepOf({ rotate_runner_key: true })),
    ).rejects.toThrow(/set slipway_next_private_key_file/);
    expect(await login('prod1', 'root', 'next')).toBeUndefined();
    prod.hosts.get('prod1')!.vars['slipway_next_private_key_file'] = key('next');
    const plan = await sshKeysHandler.plan(ctxFor(prod, rotated).ctx, stepOf({ rotate_runner_key: true }));
    expect(plan.map((c) => `${c.action} ${c.subject.replace(/ \(SHA256:.*/, '')}`)).toEqual([
      'add authorized_keys root: alice@e2e.test',
      'add authorized_keys root: next@e2e.test',
      'remove authorized_keys root: slipway-sandbox-sshkeys',
      'add user deploy',
      'add authorized_keys deploy: alice@e2e.test',
      'add authorized_keys deploy: bob@e2e.test',
    ]);
    const { ctx, lines } = ctxFor(prod, rotated);
    await sshKeysHandler.apply(ctx, stepOf({ rotate_runner_key: true }));
    expect(
      lines.some((l) => /^fresh login as root with the next key .* works after adding/.test(l.line)),
    ).toBe(true);
    expect(await login('prod1', 'root', 'next')).toBe('root');
    expect(await login('prod1', 'root', 'runner')).toBeUndefined();
  });

  it('offboards a person removed from access.yml: keys gone, account locked (or removed), never a foreign or the runner account', async () => {
    // An account Slipway never wrote, with a key of its own: not in the record, so never touched.
    await sb.exec('dev1', ['useradd', '-m', 'manual']);
    await sb.exec(
      'dev1',
      [
        'sh',
        '-c',
        'mkdir -m 700 ~manual/.ssh && cat > ~manual/.ssh/authorized_keys && chown -R manual: ~manual/.ssh && chmod 600 ~manual/.ssh/authorized_keys',
      ],
      { input: `${pub('eve')}\n` },
    );
    await sshKeysHandler.apply(ctxFor().ctx, stepOf());
    expect(await login('dev1', 'bob', 'bob')).toBe('bob');
    // bob leaves, and so does root's entry: root is who Slipway logs in as, so it is kept as it is.
    const without = (extra = '') =>
      load(`${extra}users:\n  deploy:\n    keys: [alice]\n    groups: [docker]\n`);
    const gone = await without();
    const inv = gone.inventories.get('dev')!;
    const plan = await sshKeysHandler.plan(ctxFor(inv, gone).ctx, stepOf());
    expect(plan.map((c) => `${c.action} ${c.subject.replace(/ \(SHA256:.*/, '')}`)).toEqual([
      'remove authorized_keys deploy: bob@e2e.test',
      'remove user bob',
      'remove authorized_keys bob: bob@e2e.test',
    ]);
    expect(plan.find((c) => c.subject === 'user bob')!.detail).toMatch(/account locked/);
    expect(await login('dev1', 'bob', 'bob')).toBe('bob'); // the plan changed nothing
    expect(await sshKeysHandler.apply(ctxFor(inv, gone).ctx, stepOf())).toEqual({
      changed: true,
      hosts: { dev1: 'changed' },
    });
    expect(await login('dev1', 'bob', 'bob')).toBeUndefined();
    expect(await login('dev1', 'deploy', 'bob')).toBeUndefined();
    expect(await sb.exec('dev1', ['sh', '-c', 'getent shadow bob | cut -d: -f8'])).toBe('1');
    expect(await login('dev1', 'root', 'runner')).toBe('root');
    expect(await login('dev1', 'root', 'alice')).toBe('root');
    expect(await login('dev1', 'manual', 'eve')).toBe('manual');
    expect(await sshKeysHandler.plan(ctxFor(inv, gone).ctx, stepOf())).toEqual([]);

    // Listed again, bob logs in again; removed with offboard: remove, the account goes and its home stays.
    await sshKeysHandler.apply(ctxFor().ctx, stepOf());
    expect(await login('dev1', 'bob', 'bob')).toBe('bob');
    const removing = await without('offboard: remove\n');
    const removingInv = removing.inventories.get('dev')!;
    const removal = await sshKeysHandler.plan(ctxFor(removingInv, removing).ctx, stepOf());
    expect(removal.find((c) => c.subject === 'user bob')!.detail).toMatch(
      /account removed, its home directory kept/,
    );
    await sshKeysHandler.apply(ctxFor(removingInv, removing).ctx, stepOf());
    expect(await sb.exec('dev1', ['sh', '-c', 'getent passwd bob || echo missing'])).toBe('missing');
    expect(await sb.exec('dev1', ['sh', '-c', 'test -d /home/bob && echo kept'])).toBe('kept');
    expect(await login('dev1', 'manual', 'eve')).toBe('manual');
  });
});
