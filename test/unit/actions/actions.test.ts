import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The committed bundles run as Actions run them: `node dist/index.js` with INPUT_* variables and the
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, on a real Git checkout and a real state store.

const ROOT = join(import.meta.dirname, '../../..');
const NODE = process.execPath;
const DEPLOY_TOKEN = 's3cr3t-deploy-token-value';

const FILES: Record<string, string> = {
  'slipway.yml':
    'environments:\n  dev: {}\npeople:\n  bob: { github: bob }\n  mallory: { github: mallory }\n',
  'inventories/dev/hosts.yml': 'all:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n',
  'pipelines/app.yml': [
    'name: app',
    'secrets: { DEPLOY: { env: DEPLOY_TOKEN } }',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '  deploy:',
    '    needs: [build]',
    '    environment: dev',
    '    approval: { approvers: [bob] }',
    '    steps: [ { run: { command: ["true"] } } ]',
    '',
  ].join('\n'),
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-action-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function checkout(files: Record<string, string>): Promise<string> {
  const repo = join(dir, 'repo');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  const git = (...args: string[]) =>
    execa('git', ['-C', repo, ...args], {
      env: {
        GIT_AUTHOR_NAME: 'Alice',
        GIT_AUTHOR_EMAIL: 'alice@example.com',
        GIT_COMMITTER_NAME: 'Alice',
        GIT_COMMITTER_EMAIL: 'alice@example.com',
      },
    });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'ops');
  return repo;
}

/** Runs an action bundle like the runner does; returns its outputs, summary, stdout and exit code. */
async function runAction(action: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const output = join(dir, `${action}-output`);
  const summary = join(dir, `${action}-summary`);
  await writeFile(output, '');
  await writeFile(summary, '');
  const result = await execa(NODE, [join(ROOT, 'actions', action, 'dist/index.js')], {
    env: {
      PATH: process.env.PATH,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_WORKSPACE: dir,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/ops',
      GITHUB_RUN_ID: '4242',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
      ...env,
    },
    extendEnv: false,
    reject: false,
  });
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    outputs: parseOutputs(await readFile(output, 'utf8')),
    summary: await readFile(summary, 'utf8'),
  };
}

/** GITHUB_OUTPUT's `name<<DELIMITER\nvalue\nDELIMITER` records. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

describe('actions/run and actions/approve bundles', () => {
  it('runs to the gate with outputs, summary and masked secrets, then approves as the workflow actor', async () => {
    await checkout(FILES);
    const run = await runAction(
      'run',
      { pipeline: 'pipelines/app.yml', repo: 'repo' },
      { DEPLOY_TOKEN, GITHUB_ACTOR: 'alice' },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({ 'run-id': '1', status: 'waiting', 'image-digest': '' });
    expect(run.stdout).toContain(`::add-mask::${DEPLOY_TOKEN}`);
    expect(run.stdout).toContain('::notice::run 1 waits for approval of deploy');
    expect(run.summary).toContain('<h3>Slipway: app run 1 waiting</h3>');
    expect(run.summary).toMatch(
      /<tr><td>build<\/td><td>runner<\/td><td>succeeded<\/td><td>\d+(ms|s)<\/td><td><a href="https:\/\/github.com\/acme\/ops\/actions\/runs\/4242">run 1<\/a><\/td><\/tr>/,
    );
    expect(run.summary).toContain('<td>deploy</td><td>dev</td><td>waiting: waiting for approval');

    const refused = await runAction('approve', { 'run-id': '1', repo: 'repo' }, { GITHUB_ACTOR: 'mallory' });
    expect(refused.exitCode).toBe(1);
    expect(refused.outputs).toEqual({ accepted: 'false', 'gate-status': 'pending' });
    expect(refused.stdout).toContain('::error::not counted: mallory is not among the approvers (bob)');

    const approved = await runAction('approve', { 'run-id': '1', repo: 'repo' }, { GITHUB_ACTOR: 'bob' });
    expect(approved.exitCode).toBe(0);
    expect(approved.outputs).toEqual({ accepted: 'true', 'gate-status': 'approved' });
  });

  it('turns configuration errors into file/line annotations and fails', async () => {
    await checkout({ ...FILES, 'pipelines/app.yml': 'name: app\njobs:\n  build: { stepz: [] }\n' });
    const run = await runAction('run', { pipeline: 'app', repo: 'repo' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '::error title=Slipway configuration,file=pipelines/app.yml,line=3,col=12::jobs.build.stepz: unknown key "stepz" (did you mean "steps"?)',
    );
    expect(run.stdout).toContain('::error::2 problem(s) in the ops repository');
    expect(run.outputs).toEqual({});
  });
});

describe('scripts/build-actions.sh', () => {
  it('builds byte-identical bundles from the same sources', async () => {
    await execa('bash', [join(ROOT, 'scripts/build-actions.sh'), join(dir, 'a')]);
    await execa('bash', [join(ROOT, 'scripts/build-actions.sh'), join(dir, 'b')]);
    for (const action of ['run', 'approve']) {
      const a = await readFile(join(dir, 'a', action, 'dist/index.js'));
      const b = await readFile(join(dir, 'b', action, 'dist/index.js'));
      expect(a.equals(b), `${action} bundle differs between two builds`).toBe(true);
    }
  });

  // Actions run the committed bundle, not the sources: a change to the engine, steps or store that is not
  // rebuilt into dist/ would ship old behaviour to every workflow.
  it('the committed bundles are built from the current sources', async () => {
    await execa('bash', [join(ROOT, 'scripts/build-actions.sh'), join(dir, 'fresh')]);
    for (const action of ['run', 'approve']) {
      const fresh = await readFile(join(dir, 'fresh', action, 'dist/index.js'));
      const committed = await readFile(join(ROOT, 'actions', action, 'dist/index.js'));
      expect(fresh.equals(committed), `actions/${action}/dist is stale: run scripts/build-actions.sh`).toBe(
        true,
      );
    }
  });
});
