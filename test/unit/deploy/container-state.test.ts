import { describe, expect, it } from 'vitest';
import * as cmd from '../../../src/deploy/commands.ts';
import { type ContainerInfo, judgeService } from '../../../src/deploy/container-state.ts';

const c = (state: Partial<ContainerInfo['State']>, restarts = 0): ContainerInfo => ({
  Id: 'x',
  State: { Status: 'running', Running: true, ExitCode: 0, ...state },
  RestartCount: restarts,
  Config: { Labels: { 'com.docker.compose.service': 'web' } },
});

describe('judgeService', () => {
  it('waits for a container, then for health when there is a healthcheck', () => {
    expect(judgeService('running', [])).toEqual({ state: 'waiting', why: 'no container yet' });
    expect(judgeService('running', [c({})])).toEqual({ state: 'ok' });
    expect(judgeService('running', [c({ Health: { Status: 'starting' } })]).state).toBe('waiting');
    expect(judgeService('healthy', [c({ Health: { Status: 'healthy' } })])).toEqual({ state: 'ok' });
  });
  it('fails at once on what can never succeed', () => {
    expect(judgeService('running', [c({ Status: 'exited', Running: false, ExitCode: 1 })])).toEqual({
      state: 'failed',
      why: 'exited with code 1',
    });
    expect(judgeService('running', [c({ Health: { Status: 'unhealthy' } })]).state).toBe('failed');
    expect(judgeService('running', [c({}, 2)])).toEqual({ state: 'failed', why: 'restarting' });
    expect(judgeService('healthy', [c({})])).toMatchObject({ state: 'failed', why: /no healthcheck/ });
  });
  it('takes a one-shot job that exited 0 as done, any other exit as failed', () => {
    expect(judgeService('exited', [c({})]).state).toBe('waiting');
    expect(judgeService('exited', [c({ Status: 'exited', Running: false })])).toEqual({ state: 'ok' });
    expect(judgeService('exited', [c({ Status: 'exited', Running: false, ExitCode: 3 })]).state).toBe(
      'failed',
    );
  });
});

describe('deploy command builders', () => {
  it('build fixed argv, user values only as separate arguments', () => {
    expect(cmd.listeningSockets()).toEqual(['ss', '-H', '-l', '-t', '-n']);
    expect(cmd.catPortsFiles('/srv/slipway/apps')).toEqual([
      'find',
      '/srv/slipway/apps',
      '-mindepth',
      '2',
      '-maxdepth',
      '2',
      '-name',
      'ports.json',
      '-exec',
      'cat',
      '--',
      '{}',
      '+',
    ]);
    expect(cmd.httpStatus('http://127.0.0.1:20001/healthz; rm -rf /', 5)).toEqual([
      'curl',
      '--silent',
      '--output',
      '/dev/null',
      '--write-out',
      '%{http_code}',
      '--max-time',
      '5',
      '--',
      'http://127.0.0.1:20001/healthz; rm -rf /',
    ]);
    expect(cmd.isSocket('/run/caddy/admin.sock')).toEqual(['test', '-S', '/run/caddy/admin.sock']);
    expect(cmd.listDir('/srv/x')).toEqual(['ls', '-1', '--', '/srv/x']);
    expect(cmd.makeDirs(['/srv/a', '/srv/b c'])).toEqual(['mkdir', '-p', '--', '/srv/a', '/srv/b c']);
    expect(() => cmd.makeDirs(['relative'])).toThrow(/absolute/);
  });
});
