import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');

/** What the runner process holds: its own credentials and CI's, none of which a step may see. */
const HELD = {
  SLIPWAY_WEBHOOK_SECRET: 'whsec-5f0d1c2b9a8e7d6c',
  SLIPWAY_FORGE_TOKEN: 'forge-tok-0a1b2c3d4e5f6a7b',
  GITHUB_TOKEN: 'ghs_1234567890abcdefABCDEF',
  GITEA_TOKEN: 'gitea-9876543210fedcba',
  ACTIONS_RUNTIME_TOKEN: 'actions-rt-abcdefabcdef',
  SLIPWAY_REGISTRY_PASSWORD: 'registry-pw-777888999',
};
const PIPELINE_SECRET = 'p@ss/w0rd+with=chars&more';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** Runs `slipway run app` in an ops repo whose pipeline is `steps`, with the held variables in its env. */
function runWith(pipelineYaml: string, extraEnv: Record<string, string> = {}) {
  const dir = tempOpsRepo({
    'slipway.yml': `environments: { dev: {}, prod: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
    'inventories/dev/hosts.yml': 'all:\n  hosts:\n    d1: { ansible_host: 127.0.0.1 }\n',
    'inventories/prod/hosts.yml': 'all:\n  hosts:\n    p1: { ansible_host: 127.0.0.1 }\n',
    'pipelines/app.yml': pipelineYaml,
  });
  dirs.push(dir);
  const r = spawnSync(SLIPWAY, ['-C', dir, 'run', 'app'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...HELD, APP_SECRET: PIPELINE_SECRET, ...extraEnv },
  });
  const store = new Store(join(dir, '.slipway', 'state.db'));
  try {
    const events = store.events.after(1, 0, 100_000);
    return {
      status: r.status,
      stderr: r.stderr,
      logs: events.filter((e) => e.kind === 'log').map((e) => e.text ?? ''),
      everything: JSON.stringify(store.detail(1)) + JSON.stringify(events) + r.stdout + r.stderr,
      steps: store.runs.steps(1),
    };
  } finally {
    store.close();
  }
}

const allHeld = (text: string) => Object.values(HELD).filter((v) => text.includes(v));

describe('run steps: a minimal environment, and every secret the runner holds masked', () => {
  it('gives a command only PATH, HOME, LANG and what the step declares', () => {
    const r = runWith(
      [
        'name: app',
        'secrets: { app_secret: { env: APP_SECRET } }',
        'jobs:',
        '  show:',
        '    steps:',
        '      - run: { command: [/usr/bin/env], env: { GREETING: hello } }',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
    const names = r.logs.map((l) => l.split('=')[0]).sort();
    expect(names).toEqual(expect.arrayContaining(['GREETING', 'HOME', 'PATH']));
    for (const name of names) expect(['GREETING', 'HOME', 'PATH', 'LANG']).toContain(name);
    expect(allHeld(r.everything)).toEqual([]);
  });

  it("masks the runner's own secrets when a step reads them from the runner's /proc environ", () => {
    const r = runWith(
      [
        'name: app',
        'jobs:',
        '  snoop:',
        '    steps:',
        `      - run: { command: [sh, -c, 'tr "\\0" "\\n" < /proc/$PPID/environ | grep -E "TOKEN|SECRET|PASSWORD"'] }`,
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
    expect(r.logs).toEqual(expect.arrayContaining(['SLIPWAY_WEBHOOK_SECRET=***', 'SLIPWAY_FORGE_TOKEN=***']));
    expect(allHeld(r.everything)).toEqual([]);
  });

  it('masks a pipeline secret printed raw, in base64 at any offset, and URL-encoded', () => {
    const r = runWith(
      [
        'name: app',
        'secrets: { app_secret: { env: APP_SECRET } }',
        'jobs:',
        '  leak:',
        '    steps:',
        '      - run:',
        '          command:',
        '            - sh',
        '            - -c',
        `            - 'echo "$S"; for p in "" a ab; do printf "u:%s%s" "$p" "$S" | base64 -w0; echo; done; node -e "console.log(encodeURIComponent(process.argv[1]))" "$S"'`,
        `          env: { S: "\${{ secrets.app_secret }}" }`,
        '',
      ].join('\n'),
      { PATH: process.env.PATH! },
    );
    expect(r.status).toBe(0);
    expect(r.logs).toHaveLength(5);
    for (const line of r.logs) expect(line).toContain('***');
    const encoded = [
      PIPELINE_SECRET,
      Buffer.from(PIPELINE_SECRET).toString('base64').slice(0, 20),
      encodeURIComponent(PIPELINE_SECRET),
    ];
    for (const e of encoded) expect(r.everything).not.toContain(e);
  });
});

describe("file: secrets come only from the operator's SLIPWAY_SECRETS_DIR", () => {
  const filePipeline = (path: string) =>
    [
      'name: app',
      `secrets: { s: { file: ${JSON.stringify(path)} } }`,
      'jobs:',
      '  use:',
      '    steps:',
      `      - run: { command: [sh, -c, 'test -n "$S" && echo got-it'], env: { S: "\${{ secrets.s }}" } }`,
      '',
    ].join('\n');

  function secretsDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-secrets-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'prod'));
    writeFileSync(join(dir, 'prod/token'), 'inside-the-secrets-dir\n');
    writeFileSync(join(dir, '..', `${dir.split('/').pop()}-outside`), 'outside');
    dirs.push(join(dir, '..', `${dir.split('/').pop()}-outside`));
    return dir;
  }

  it('reads a file inside the directory', () => {
    const r = runWith(filePipeline('prod/token'), { SLIPWAY_SECRETS_DIR: secretsDir() });
    expect(r.status).toBe(0);
    expect(r.logs).toEqual(['got-it']);
  });

  it('refuses an absolute path or ".." at validation, naming the rule', () => {
    for (const path of ['/etc/passwd', '../outside', 'a/../../b']) {
      const r = runWith(filePipeline(path), { SLIPWAY_SECRETS_DIR: secretsDir() });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('expected a path inside the secrets directory (SLIPWAY_SECRETS_DIR)');
    }
  });

  it('refuses a symlink that leads out of the directory, and a file secret without a directory', () => {
    const dir = secretsDir();
    symlinkSync('/etc/hostname', join(dir, 'escape'));
    const escaped = runWith(filePipeline('escape'), { SLIPWAY_SECRETS_DIR: dir });
    // Refused before the run is queued, naming the secret and its source, never a value.
    expect(escaped.status).toBe(2);
    expect(escaped.stderr).toContain(
      'secret s (file escape): escape leads outside the secrets directory (through a symlink): refused',
    );
    expect(escaped.steps).toEqual([]);
    const unset = runWith(filePipeline('prod/token'), { SLIPWAY_SECRETS_DIR: '' });
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain('SLIPWAY_SECRETS_DIR, which is not set');
  });
});
