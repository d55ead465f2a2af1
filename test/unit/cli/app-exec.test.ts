import { describe, expect, it } from 'vitest';
import { execTarget, refuseSeveralHosts, splitExecOperands } from '../../../src/cli/app-exec.ts';
import { CliError } from '../../../src/cli/errors.ts';
import type { ContainerInfo } from '../../../src/deploy/container-state.ts';

const raw = (...rest: string[]) => ['node', 'slipway', '-C', 'ops', 'app', 'exec', 'dev', 'web', ...rest];

describe('splitExecOperands', () => {
  it('takes the command after the first --, and at most one service before it', () => {
    expect(splitExecOperands(['ls', '-la'], raw('--', 'ls', '-la'))).toEqual({ command: ['ls', '-la'] });
    expect(splitExecOperands(['web', 'sh', '--', 'x'], raw('web', '--', 'sh', '--', 'x'))).toEqual({
      service: 'web',
      command: ['sh', '--', 'x'],
    });
  });

  it('refuses no command and two services as usage errors (exit 2)', () => {
    for (const [ops, argv] of [
      [['web'], raw('web')],
      [['web'], raw('web', '--')],
      [['a', 'b', 'ls'], raw('a', 'b', '--', 'ls')],
    ] as const) {
      let err: unknown;
      try {
        splitExecOperands(ops, argv);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});

describe('execTarget', () => {
  const c = (service: string, running: boolean): ContainerInfo => ({
    Id: `${service}-${running}`,
    State: { Status: running ? 'running' : 'exited', Running: running, ExitCode: 0 },
    Config: { Labels: { 'com.docker.compose.service': service } },
  });
  it("picks the running container of the service, or of the release's only one", () => {
    expect(execTarget([c('web', false), c('web', true)], undefined, 'r').Id).toBe('web-true');
    expect(execTarget([c('web', true), c('db', true)], 'db', 'r').Id).toBe('db-true');
  });
  it('asks for a service when there are several, and refuses a stopped one', () => {
    expect(() => execTarget([c('web', true), c('db', true)], undefined, 'r')).toThrow(
      'r has several services (web, db): name one before --',
    );
    expect(() => execTarget([c('db', false)], 'db', 'r')).toThrow('r: service db has no running container');
  });
});

describe('refuseSeveralHosts', () => {
  it('runs on one host, or on several only when named or asked for with --all', () => {
    expect(() => refuseSeveralHosts(['web1'], { app: 'web' })).not.toThrow();
    expect(() => refuseSeveralHosts(['web1', 'web2'], { app: 'web', host: 'web2' })).not.toThrow();
    expect(() => refuseSeveralHosts(['web1', 'web2'], { app: 'web', all: true })).not.toThrow();
    const refused = (() => {
      try {
        refuseSeveralHosts(['web1', 'web2'], { app: 'web' });
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(CliError);
    expect((refused as CliError).message).toBe(
      'web runs on 2 hosts (web1, web2): name one with --host HOST, or pass --all to run the command on each in turn',
    );
    expect((refused as CliError).exitCode).toBe(2);
  });
});
