import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, Notifier, retryDelay } from '../../../src/server/notifier.ts';
import type { NotificationRecord } from '../../../src/store/notifications.ts';
import {
  type EngineFixture,
  engineFixture,
  execute,
  fixturePolicy,
  pipelineFile,
  startRun,
  staticPolicy,
  until,
} from '../../support/engine-fixture.ts';
import { type SmtpReceiver, startSmtpReceiver, testCertificate } from '../../support/smtp-receiver.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';

const HOOK_KEY = 'hook-key-3fa9c1';
const SMTP_PASSWORD = 'smtp-pw-91b2e7';
// A chat hook whose URL is the credential: read from the environment, never logged.
const HOOK_PATH = 'T01/B02/hook-path-7c4d2e';
let fx: EngineFixture;
let hook: WebhookReceiver;
let smtp: SmtpReceiver;
let notifier: Notifier;
let cert: ReturnType<typeof testCertificate>;
const logs: string[] = [];

const GATED = {
  name: 'web',
  jobs: {
    'deploy-prod': {
      environment: 'prod',
      approval: { approvers: ['@acme/ops'] },
      steps: [{ run: { command: ['true'] } }],
    },
  },
};
const FAILING = { name: 'broken', jobs: { build: { steps: [{ run: { command: ['false'] } }] } } };

const outbox = () => fx.store.notifications.list().reverse();
const settled = (n: NotificationRecord) => n.status !== 'pending';

beforeAll(async () => {
  cert = testCertificate();
  hook = await startWebhookReceiver();
  smtp = await startSmtpReceiver({ tls: cert, users: { slipway: SMTP_PASSWORD } });
  fx = engineFixture({
    environments: { prod: {} },
    teams: { '@acme/ops': ['alice', 'bob'] },
    people: { alice: { email: 'alice@example.com' }, bob: {} },
    notifications: {
      webhook: { url: { env: 'CHAT_HOOK_URL' }, secret: { env: 'CHAT_HOOK' } },
      email: {
        smtp: {
          host: '127.0.0.1',
          port: smtp.port,
          username: 'slipway',
          password: { file: 'smtp-password' },
        },
        from: 'slipway@example.com',
        to: ['ops@example.com'],
      },
    },
  });
  writeFileSync(join(fx.dir, 'smtp-password'), `${SMTP_PASSWORD}\n`);
  notifier = new Notifier({
    store: fx.store,
    policy: staticPolicy(fixturePolicy(fx, pipelineFile(fx, GATED))),
    env: { CHAT_HOOK: HOOK_KEY, CHAT_HOOK_URL: `${hook.url}/${HOOK_PATH}`, SLIPWAY_SECRETS_DIR: fx.dir },
    smtpTls: { ca: cert.ca },
    runUrl: (id) => `https://ci.example.com/runs/${id}`,
    pollMs: 50,
    log: (line) => logs.push(line),
  });
});
afterAll(async () => {
  await notifier?.stop();
  await hook?.close();
  await smtp?.close();
  fx?.cleanup();
});

describe('notifier', () => {
  it('tells of an opened gate by signed webhook (retried with backoff) and e-mail to the approvers', async () => {
    hook.answer(503, 502);
    notifier.start();
    const file = pipelineFile(fx, GATED);
    const runId = startRun(fx, file);
    expect(await execute(fx, runId, file, { detach: true })).toBe('waiting');
    await until(() => outbox().length === 2 && outbox().every(settled), 15_000, 'both notifications');

    const [webhook, email] = outbox();
    expect(webhook).toMatchObject({ channel: 'webhook', event: 'gate.opened', status: 'sent', attempts: 3 });
    expect(hook.received.map((r) => r.status)).toEqual([503, 502, 200]);
    const last = hook.received.at(-1)!;
    expect(last.headers['x-slipway-signature-256']).toBe(
      `sha256=${createHmac('sha256', HOOK_KEY).update(last.body).digest('hex')}`,
    );
    const body = JSON.parse(last.body);
    expect(body).toMatchObject({
      id: webhook!.id,
      event: 'gate.opened',
      job: 'deploy-prod',
      environment: 'prod',
      approvers: ['@acme/ops'],
      run: { id: runId, pipeline: 'web', url: `https://ci.example.com/runs/${runId}` },
    });
    expect(body.text).toMatch(/^Approval needed: web \/ deploy-prod to prod at aaaaaaa \(run \d+\)\n/);

    expect(email).toMatchObject({ channel: 'email', status: 'sent', attempts: 1 });
    const [mail] = smtp.mails;
    expect(mail).toMatchObject({ to: ['ops@example.com', 'alice@example.com'], tls: true, user: 'slipway' });
    expect(mail!.data).toContain('Subject: Approval needed: web / deploy-prod to prod');
  });

  it('gives up on an answer that will not change (4xx) at once, keeping why', async () => {
    hook.answer(400);
    const file = pipelineFile(fx, FAILING);
    const runId = startRun(fx, file);
    expect(await execute(fx, runId, file)).toBe('failed');
    await until(() => outbox().length === 4 && outbox().every(settled), 15_000, 'the failure notifications');
    const failed = outbox().filter((n) => n.event === 'run.failed');
    expect(failed.map((n) => [n.channel, n.status, n.attempts])).toEqual([
      ['webhook', 'failed', 1],
      ['email', 'sent', 1],
    ]);
    expect(failed[0]!.lastError).toBe(`POST to ${new URL(hook.url).origin} answered 400 (not retried)`);
    expect(logs.some((l) => l.includes('given up'))).toBe(true);
  });

  it('waits longer after each failed attempt, up to a bound', () => {
    expect([1, 2, 3, 4].map(retryDelay)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelay(MAX_ATTEMPTS)).toBeLessThanOrEqual(300_000);
    expect(retryDelay(20)).toBe(300_000);
  });

  it('never writes the credentials into the outbox, its errors or its log', () => {
    const everything = JSON.stringify(fx.store.notifications.list()) + logs.join('\n');
    expect(everything).not.toContain(HOOK_KEY);
    expect(everything).not.toContain(SMTP_PASSWORD);
    expect(everything).not.toContain(HOOK_PATH);
    expect(hook.received.at(-1)!.path).toBe(`/hooks/slipway/${HOOK_PATH}`);
  });
});
