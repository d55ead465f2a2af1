import { describe, expect, it } from 'vitest';
import { appHealth, containerState, serviceContainers } from '../../../src/deploy/app-status.ts';
import type { ContainerInfo } from '../../../src/deploy/container-state.ts';

const container = (service: string, state: Partial<ContainerInfo['State']>): ContainerInfo => ({
  Id: `id-${service}`,
  State: { Status: 'running', Running: true, ExitCode: 0, ...state },
  Config: { Labels: { 'com.docker.compose.service': service } },
});
const svc = (state: string) => ({ service: 's', container: 'c', state, restarts: 0 });

describe('containerState', () => {
  it('names health when there is a healthcheck, the exit code when it stopped', () => {
    expect(containerState(container('web', {}))).toBe('running');
    expect(containerState(container('web', { Health: { Status: 'healthy' } }))).toBe('healthy');
    expect(containerState(container('web', { Health: { Status: 'starting' } }))).toBe('starting');
    expect(containerState(container('web', { Status: 'exited', Running: false, ExitCode: 3 }))).toBe(
      'exited 3',
    );
    expect(containerState(container('web', { Status: 'restarting', Running: true }))).toBe('restarting');
    expect(containerState(container('web', { Status: 'created', Running: false }))).toBe('created');
  });
});

describe('appHealth', () => {
  it('is the worst state, a one-shot job that exited 0 counting as done', () => {
    expect(appHealth([svc('healthy'), svc('running'), svc('exited 0')])).toBe('healthy');
    expect(appHealth([svc('healthy'), svc('starting')])).toBe('starting');
    expect(appHealth([svc('healthy'), svc('unhealthy')])).toBe('unhealthy');
    expect(appHealth([svc('healthy'), svc('exited 1')])).toBe('unhealthy');
    expect(appHealth([svc('exited 0')])).toBe('down');
    expect(appHealth([svc('created')])).toBe('down');
    expect(appHealth([])).toBe('down');
  });
});

describe('serviceContainers', () => {
  const all = [container('web', {}), container('worker', {})];
  it('filters by service, all when none is named', () => {
    expect(serviceContainers(all, undefined, 'x')).toHaveLength(2);
    expect(serviceContainers(all, 'worker', 'x').map((c) => c.Id)).toEqual(['id-worker']);
  });
  it('names the services there are when the one asked for is not', () => {
    expect(() => serviceContainers(all, 'db', 'release r on dev1')).toThrow(
      'release r on dev1 has no service db (its services: web, worker)',
    );
  });
});
