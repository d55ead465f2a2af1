import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asInvalidConfig, CliError, cliFailure } from '../../../src/cli/errors.ts';
import { ExitCode } from '../../../src/cli/exit-codes.ts';
import { ConfigErrorList } from '../../../src/config/errors.ts';
import { InterruptedRunError } from '../../../src/engine/executor.ts';
import { REPO, slipway } from '../../support/slipway-cli.ts';

const unknownKey = {
  file: 'pipelines/app.yml',
  line: 3,
  col: 12,
  key: 'jobs.build.stepz',
  message: 'unknown key',
};

describe('cliFailure', () => {
  it('ends a CliError with its own exit code and message', () => {
    expect(cliFailure(new CliError('no pipeline web (pipelines: app)', ExitCode.InvalidConfig))).toEqual({
      text: 'slipway: no pipeline web (pipelines: app)\n',
      exitCode: 2,
    });
    expect(cliFailure(new CliError('there is no run 9')).exitCode).toBe(ExitCode.Failed);
  });

  it('prints every configuration error as file:line:col, then the count, and exits 2', () => {
    const f = cliFailure(new ConfigErrorList([unknownKey, { ...unknownKey, line: 7, hint: 'write steps' }]));
    expect(f.exitCode).toBe(ExitCode.InvalidConfig);
    expect(f.text).toBe(
      [
        'pipelines/app.yml:3:12: jobs.build.stepz: unknown key',
        'pipelines/app.yml:7:12: jobs.build.stepz: unknown key; write steps',
        'slipway: 2 problems in the ops repository',
        '',
      ].join('\n'),
    );
  });

  it('ends anything else with exit code 1 and its message, not its stack', () => {
    const interrupted = cliFailure(new InterruptedRunError('run 4 was interrupted during deploy[0]'));
    expect(interrupted).toEqual({ text: 'slipway: run 4 was interrupted during deploy[0]\n', exitCode: 1 });
    expect(cliFailure('thrown text')).toEqual({ text: 'slipway: thrown text\n', exitCode: 1 });
  });
});

describe('asInvalidConfig', () => {
  it('turns what a repository check refuses into exit code 2, and passes results and CliErrors through', () => {
    expect(asInvalidConfig(() => 42)).toBe(42);
    const refused = () =>
      asInvalidConfig(() => {
        throw new Error('web has no job lint (jobs: build, deploy)');
      });
    expect(refused).toThrow(expect.objectContaining({ exitCode: ExitCode.InvalidConfig }));
    const own = new CliError('no user bob');
    expect(() =>
      asInvalidConfig(() => {
        throw own;
      }),
    ).toThrow(own);
  });
});

describe('the CLI error path', () => {
  it('a pipeline the repository lacks: one `slipway:` line, exit 2', async () => {
    const r = await slipway(['--repo', REPO, 'plan', 'no-such-pipeline']);
    expect(r.code).toBe(ExitCode.InvalidConfig);
    expect(r.stderr).toMatch(/^slipway: no pipeline no-such-pipeline \(pipelines: [^\n]*\)$/);
  });

  it('a run that does not exist: one `slipway:` line, exit 1', async () => {
    // A store of its own: the checkout's .slipway/state.db may have been migrated by another branch.
    const dir = await mkdtemp(join(tmpdir(), 'slipway-errors-'));
    try {
      const r = await slipway(['--repo', REPO, 'show', '999999'], { SLIPWAY_STATE: join(dir, 'state.db') });
      expect(r.code).toBe(ExitCode.Failed);
      expect(r.stderr).toBe('slipway: there is no run 999999');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
