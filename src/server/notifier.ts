import type { ConnectionOptions } from 'node:tls';
import { contactsOf } from '../approvals/people.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import { environmentApprovers, type TrustedPolicy } from '../approvals/trusted-policy.ts';
import { type Notifications as NotifyConfig, webhookUrl } from '../config/schema/notifications.ts';
import { notificationSecretValues, processSources, readOrigin } from '../engine/secrets.ts';
import { maskText, maskValues } from '../logs/masker.ts';
import { composeMail } from '../notify/email.ts';
import { eventText, type NotifyEvent, type RunRef, wanted } from '../notify/events.ts';
import { SmtpError, sendMail } from '../notify/smtp.ts';
import { type AttemptOutcome, postWebhook } from '../notify/webhook.ts';
import type { NotificationRecord } from '../store/notifications.ts';
import type { Store } from '../store/store.ts';
import type { DriftCheckRecord, RunEvent, RunRecord } from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { Service } from './server.ts';

/** What the notifier needs. */
export interface NotifierOptions {
  store: Store;
  /** The policy in force: `notifications` (channels, events) and the people they reach. */
  policy: PolicySource;
  runUrl?(runId: number): string | undefined;
  /** Where an environment's page is (the dashboard), for drift. */
  environmentUrl?(env: string): string | undefined;
  /** Where credentials are read from (default: this process's environment and SLIPWAY_SECRETS_DIR). */
  env?: NodeJS.ProcessEnv;
  /** TLS options for SMTP (e.g. a private CA); certificates are always verified. */
  smtpTls?: ConnectionOptions;
  pollMs: number;
  log(line: string): void;
}

/** Attempts per notification before it is given up (1 s, 2 s, 4 s ... apart, at most 5 min). */
export const MAX_ATTEMPTS = 8;

/** How long to wait before attempt `attempts + 1`. */
export function retryDelay(attempts: number): number {
  return Math.min(1_000 * 2 ** (attempts - 1), 300_000);
}

const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Notifications: reads the event log (gates opened, runs failed, rollbacks) and drift checks, queues one
 * notification per event and configured channel in the store's outbox (`slipway.yml` `notifications`, read
 * from the default branch at that moment), and delivers them: the webhook (JSON signed with HMAC-SHA256)
 * and e-mail (SMTP), each retried with exponential backoff, a restart included.
 */
export class Notifier implements Service {
  readonly name = 'notifier';
  readonly #o: NotifierOptions;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = false;

  constructor(options: NotifierOptions) {
    this.#o = options;
    // A store that never had a notifier starts from now: history is not notified.
    if (options.store.notifications.cursor() === undefined)
      options.store.notifications.setCursor(options.store.events.lastId());
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.pollMs);
    void this.tick();
  }

  /** Queues what is new and delivers what is due, unless a pass is under way. */
  tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Resolves once everything queued now had its attempt (tests, shutdown). */
  async flush(): Promise<void> {
    await this.#running;
    await this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
    this.#stopped = true;
  }

  /** Queues `drift.found` for a check that found drift other than the drift the check before it found. */
  async drift(check: DriftCheckRecord): Promise<void> {
    if (check.status !== 'drift') return;
    const before = this.#o.store.drift.previous(check);
    if (before?.status === 'drift' && before.fingerprint === check.fingerprint) return;
    const lines = check.plan.flatMap((j) =>
      j.steps.flatMap((s) =>
        s.changes.map((c) => `${j.job}: ${c.action} ${c.host ? `${c.host}: ` : ''}${c.subject}`),
      ),
    );
    const url = this.#o.environmentUrl?.(check.environment);
    await this.#queue(`drift:${check.id}`, {
      event: 'drift.found',
      pipeline: check.pipeline,
      environment: check.environment,
      sha: check.sha,
      branch: check.branch,
      changes: check.changes,
      checkedAt: new Date(check.checkedAt).toISOString(),
      lines,
      ...(url ? { url } : {}),
    });
    void this.tick();
  }

  async #pass(): Promise<void> {
    try {
      await this.#readEvents();
      await this.#deliverDue();
    } catch (err) {
      this.#o.log(`notifications: ${errorMessage(err)} (tried again in ${this.#o.pollMs} ms)`);
    }
  }

  /** Turns new events into queued notifications; the cursor moves past each event once it is queued. */
  async #readEvents(): Promise<void> {
    const { store } = this.#o;
    for (;;) {
      const events = store.events.since(store.notifications.cursor() ?? 0, 200, ['run', 'gate']);
      if (events.length === 0) return;
      for (const e of events) {
        const found = this.#eventOf(e);
        if (found) await this.#queue(found.key, found.event);
        store.notifications.setCursor(e.id);
      }
    }
  }

  #runRef(run: RunRecord): RunRef {
    const url = this.#o.runUrl?.(run.id);
    return {
      id: run.id,
      pipeline: run.pipeline,
      sha: run.sha,
      branch: run.branch,
      triggeredBy: run.triggeredBy,
      ...(url ? { url } : {}),
    };
  }

  /** The notification an event of the log stands for, with its key; undefined for any other event. */
  #eventOf(e: RunEvent): { key: string; event: NotifyEvent } | undefined {
    const { store } = this.#o;
    const run = store.runs.get(e.runId);
    if (!run) return undefined;
    if (e.kind === 'gate' && e.status === 'pending' && e.job) {
      const gate = store.gates.latest(run.id, e.job, e.step);
      if (gate?.status !== 'pending') return undefined;
      const environment = store.runs.job(run.id, e.job)?.environment;
      return {
        key: `gate:${gate.id}`,
        event: {
          event: 'gate.opened',
          run: this.#runRef(run),
          job: gate.job,
          ...(environment ? { environment } : {}),
          approvers: gate.policy.approvers,
          required: gate.policy.required,
          expiresAt: new Date(gate.expiresAt).toISOString(),
          changes: gate.plan.reduce((n, s) => n + s.changes.length, 0),
        },
      };
    }
    if (e.kind !== 'run') return undefined;
    if (e.status === 'failed') {
      const rolledBack = store.runs.rolledBackHosts(run.id);
      return {
        key: `run:${run.id}:failed`,
        event: { event: 'run.failed', run: this.#runRef(run), reason: run.reason ?? 'failed', rolledBack },
      };
    }
    if (e.status === 'succeeded' && run.rollback && run.rollback.kind !== 'redeploy') {
      const environment = store.runs.jobs(run.id).find((j) => j.environment)?.environment;
      return {
        key: `run:${run.id}:rolled_back`,
        event: {
          event: 'run.rolled_back',
          run: this.#runRef(run),
          ...(environment ? { environment } : {}),
          release: run.rollback.releaseId,
          digest: run.rollback.digest,
        },
      };
    }
    return undefined;
  }

  /** Who decides what the event is about: the gate's approvers, the environment's, or the run's gates'. */
  #deciders(event: NotifyEvent, policy: TrustedPolicy): string[] {
    if (event.event === 'gate.opened') return event.approvers;
    if (event.event === 'drift.found') return environmentApprovers(policy, event.environment);
    return this.#o.store.gates.ofRun(event.run.id).flatMap((g) => g.policy.approvers);
  }

  /** Queues the event once per configured channel the policy in force asks for it on. */
  async #queue(key: string, event: NotifyEvent): Promise<void> {
    const policy = await this.#o.policy.current();
    const config = policy.project.notifications;
    if (!wanted(event, config.events)) return;
    const outbox = this.#o.store.notifications;
    if (config.webhook)
      outbox.enqueue({ key: `${key}:webhook`, event: event.event, channel: 'webhook', payload: { event } });
    if (config.email) {
      const to = [
        ...new Set([
          ...config.email.to,
          ...contactsOf(policy.project, this.#deciders(event, policy), 'email'),
        ]),
      ];
      if (to.length)
        outbox.enqueue({ key: `${key}:email`, event: event.event, channel: 'email', payload: { event, to } });
    }
  }

  /** One attempt for each due notification; the outcome decides sent, retry later, or give up. */
  async #deliverDue(): Promise<void> {
    const outbox = this.#o.store.notifications;
    const due = outbox.due(Date.now());
    if (due.length === 0) return;
    const policy = await this.#o.policy.current();
    const sources = processSources(this.#o.env ?? process.env);
    const masked = maskValues(notificationSecretValues(policy.project, sources));
    for (const n of due) {
      if (this.#stopped) return;
      const outcome = await this.#attempt(n, policy.project.notifications, sources).catch(
        (err: unknown): AttemptOutcome => ({ ok: false, retry: true, error: errorMessage(err) }),
      );
      if (outcome.ok) {
        outbox.attempted(n.id, { status: 'sent' });
        continue;
      }
      const error = maskText(outcome.error, masked);
      const last = !outcome.retry || n.attempts + 1 >= MAX_ATTEMPTS;
      outbox.attempted(
        n.id,
        last
          ? { status: 'failed', error }
          : { status: 'pending', nextAt: Date.now() + retryDelay(n.attempts + 1), error },
      );
      this.#o.log(
        `notification ${n.id} (${n.event} by ${n.channel}): ${error}; ${last ? 'given up' : `attempt ${n.attempts + 2} in ${retryDelay(n.attempts + 1) / 1000} s`}`,
      );
    }
  }

  async #attempt(
    n: NotificationRecord,
    config: NotifyConfig | undefined,
    sources: ReturnType<typeof processSources>,
  ): Promise<AttemptOutcome> {
    const { event, to } = n.payload as { event: NotifyEvent; to?: string[] };
    const { subject, lines } = eventText(event);
    const secret = (origin: Parameters<typeof readOrigin>[0], what: string) => {
      const r = readOrigin(origin, sources);
      if (r.value === undefined) throw new Error(`${what}: ${r.error}`);
      return r.value;
    };
    if (n.channel === 'webhook') {
      if (!config?.webhook)
        return { ok: false, retry: false, error: 'notifications.webhook is no longer configured' };
      const body = JSON.stringify({
        id: n.id,
        ...event,
        text: [subject, ...lines].join('\n'),
        sentAt: new Date().toISOString(),
      });
      const key = secret(config.webhook.secret, 'notifications.webhook.secret');
      const { url } = config.webhook;
      const target = typeof url === 'string' ? url : secret(url, 'notifications.webhook.url');
      if (!webhookUrl.safeParse(target).success)
        return { ok: false, retry: false, error: 'notifications.webhook.url: expected an http(s) URL' };
      return postWebhook(target, key, body, {
        event: event.event,
        delivery: String(n.id),
        timeoutMs: ATTEMPT_TIMEOUT_MS,
      });
    }
    if (!config?.email)
      return { ok: false, retry: false, error: 'notifications.email is no longer configured' };
    const { smtp, from } = config.email;
    const password = smtp.password && secret(smtp.password, 'notifications.email.smtp.password');
    try {
      await sendMail(
        {
          host: smtp.host,
          port: smtp.port ?? (smtp.security === 'tls' ? 465 : smtp.security === 'starttls' ? 587 : 25),
          security: smtp.security,
          ...(smtp.username && password ? { username: smtp.username, password } : {}),
          ...(this.#o.smtpTls ? { tls: this.#o.smtpTls } : {}),
          timeoutMs: ATTEMPT_TIMEOUT_MS * 3,
        },
        { from, to: to ?? [] },
        composeMail({ from, to: to ?? [], subject, text: lines.join('\n'), id: `notification-${n.id}` }),
      );
      return { ok: true };
    } catch (err) {
      return {
        ok: false,
        retry: !(err instanceof SmtpError) || err.transient,
        error: `e-mail: ${errorMessage(err)}`,
      };
    }
  }
}
