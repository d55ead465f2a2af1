import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

// The committed action bundles run as Actions run them: `node dist/index.js` with INPUT_* variables and the
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, on a real Git checkout and a real state store.

export const ROOT = join(import.meta.dirname, '../..');
export const DEPLOY_TOKEN = 's3cr3t-deploy-token-value';

/** An ops repository with one gate: `deploy` waits for bob. */
export const ACTION_OPS_FILES: Record<string, string> = {
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

/** Commits `files` as Alice into `<dir>/repo` (the workspace's checkout); returns its path. */
export async function checkout(dir: string, files: Record<string, string>): Promise<string> {
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

/** Runs an action bundle in workspace `dir` like the runner does; returns its outputs, summary, stdout and exit code. */
export async function runAction(
  dir: string,
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
) {
  const output = join(dir, `${action}-output`);
  const summary = join(dir, `${action}-summary`);
  await writeFile(output, '');
  await writeFile(summary, '');
  const result = await execa(process.execPath, [join(ROOT, 'actions', action, 'dist/index.js')], {
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
