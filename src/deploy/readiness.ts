import { setTimeout as sleep } from 'node:timers/promises';
import type { Transport } from '../remote/transport.ts';
import * as cmd from './commands.ts';
import { type ExpectedState, judgeService, serviceOf } from './container-state.ts';
import { containerLogTail, type HostDocker, inspectContainers, projectContainers } from './host-docker.ts';

/** The HTTP check a release must pass from its own host before it gets traffic. */
export interface HealthCheck {
  path: string;
  /** Service whose host port is checked. */
  service: string;
  expectStatus: number;
  timeoutMs: number;
}

/** Where readiness is checked and reported. */
export interface Probe {
  transport: Transport;
  engine: HostDocker;
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  signal: AbortSignal;
}

/** Services that did not reach their expected state: their logs are what explains it. */
export class ServiceFailure extends Error {
  readonly services: string[];
  constructor(message: string, services: string[]) {
    super(message);
    this.services = services;
  }
}

/** Waits until every service of `project` is in its expected state (unlisted: `running`); throws ServiceFailure. */
export async function waitForServices(
  p: Probe,
  project: string,
  services: readonly string[],
  expected: Readonly<Record<string, ExpectedState>>,
  deadline: number,
): Promise<void> {
  let last = '';
  // `up -d` has created every container when it returns: list them once, then only inspect them.
  let ids: string[] = [];
  for (;;) {
    p.signal.throwIfAborted();
    if (ids.length < services.length) ids = await projectContainers(p.engine.api, project);
    const infos = await inspectContainers(p.engine.api, ids);
    const waiting: string[] = [];
    for (const svc of services) {
      const verdict = judgeService(
        expected[svc] ?? 'running',
        infos.filter((c) => serviceOf(c) === svc),
      );
      if (verdict.state === 'failed') throw new ServiceFailure(`service ${svc} ${verdict.why}`, [svc]);
      if (verdict.state === 'waiting') waiting.push(`${svc}: ${verdict.why}`);
    }
    if (waiting.length === 0) {
      p.log(
        `services reached their expected state: ${services.map((s) => `${s}=${expected[s] ?? 'running'}`).join(', ')}`,
      );
      return;
    }
    const now = waiting.join(', ');
    if (now !== last) p.log(`waiting for ${now}`);
    last = now;
    if (Date.now() > deadline) {
      throw new ServiceFailure(
        `deploy timeout: ${now}`,
        waiting.map((w) => w.split(':')[0]!),
      );
    }
    await sleep(250, undefined, { signal: p.signal });
  }
}

/**
 * Polls `GET path` on the release's own port until it answers the expected status. When it never
 * does, the probe's last answer (status line, headers, start of the body) goes to the log, since
 * a 404 on the health path says more than the container's logs do.
 */
export async function httpHealth(p: Probe, port: number, check: Omit<HealthCheck, 'service'>): Promise<void> {
  const url = `http://127.0.0.1:${port}${check.path}`;
  const deadline = Date.now() + check.timeoutMs;
  let status = '';
  for (;;) {
    const r = await p.transport.exec(cmd.httpStatus(url, 5), { signal: p.signal });
    status = r.stdout.trim();
    if (status === String(check.expectStatus)) {
      p.log(`health check ${url}: ${status}`);
      return;
    }
    if (Date.now() > deadline) break;
    await sleep(250, undefined, { signal: p.signal });
  }
  const answer = await p.transport.exec(cmd.httpAnswer(url, 5), { signal: p.signal });
  const lines = answer.stdout.split(/\r?\n/).slice(0, 20);
  p.log(`--- answer of GET ${url} ---`, 'stderr');
  for (const line of lines) if (line.trim()) p.log(`[health] ${line.slice(0, 200)}`, 'stderr');
  throw new Error(`health check ${url} answered ${status || 'nothing'}, expected ${check.expectStatus}`);
}

/** Puts the last lines of each container of `project` (of `only` those services, when given) in the log. */
export async function logContainers(
  p: Probe,
  project: string,
  only: readonly string[] | undefined,
): Promise<void> {
  const infos = await inspectContainers(p.engine.api, await projectContainers(p.engine.api, project));
  for (const c of infos) {
    const svc = serviceOf(c) ?? c.Id.slice(0, 12);
    if (only && !only.includes(svc)) continue;
    const lines = await containerLogTail(p.engine.api, c, 50);
    p.log(`--- logs of service ${svc} (${c.State.Status}) ---`, 'stderr');
    for (const line of lines) p.log(`[${svc}] ${line}`, 'stderr');
  }
}
