import { isIP } from 'node:net';
import { z } from 'zod';
import { port, secretOrigin, secretReference } from './common.ts';

/** What is notified: an opened gate, a failed run, a rollback (a rollback run, or a deploy rolled back), drift. */
export const NOTIFY_EVENTS = ['gate', 'failure', 'rollback', 'drift'] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/** What a webhook URL must be, written here or read from where `url: { env | file }` points. */
export const webhookUrl = z.url({ protocol: /^https?$/ });

const webhook = z.strictObject({
  url: z
    .union([webhookUrl, secretOrigin])
    .describe(
      'Where each notification is POSTed as JSON; chat bridges read its `text`. A URL that is itself the ' +
        'credential (Slack, Mattermost hooks): { env: VAR } or { file: path } in SLIPWAY_SECRETS_DIR',
    ),
  secret: secretReference.describe(
    'HMAC-SHA256 key of the X-Slipway-Signature-256 header: { env: VAR } or { file: path } in SLIPWAY_SECRETS_DIR',
  ),
});

/** Hosts a password may travel to without TLS: this machine only. */
function loopback(host: string): boolean {
  return host === 'localhost' || (isIP(host) === 4 ? host.startsWith('127.') : host === '::1');
}

const smtp = z
  .strictObject({
    host: z.string().min(1),
    port: port.optional().describe('Default: 465 for tls, 587 for starttls, 25 for none'),
    security: z
      .enum(['starttls', 'tls', 'none'])
      .default('starttls')
      .describe('starttls: upgrade after connecting (refused if the server cannot); tls: TLS from the start'),
    username: z.string().min(1).optional(),
    password: secretReference
      .optional()
      .describe('{ env: VAR } or { file: path } in SLIPWAY_SECRETS_DIR; never in this file'),
  })
  .superRefine((s, ctx) => {
    if ((s.username === undefined) !== (s.password === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'username and password go together: set both or neither',
      });
    if (s.password && s.security === 'none' && !loopback(s.host))
      ctx.addIssue({
        code: 'custom',
        path: ['security'],
        message: `a password would cross the network to ${s.host} in clear text: write security: starttls or tls`,
      });
  });

const email = z.strictObject({
  smtp,
  from: z.email(),
  to: z
    .array(z.email())
    .default([])
    .describe('Told of every event; the approvers concerned are told too when `people` has their email'),
});

/** slipway.yml `notifications`: which events, and the channels besides the forge. */
export const notifications = z.strictObject({
  events: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1)
    .default([...NOTIFY_EVENTS])
    .describe(
      'gate (a gate opens), failure (a run fails), rollback (a rollback run, a host rolled back), drift',
    ),
  forge: z
    .strictObject({
      mention: z.boolean().default(true).describe("Mention the approvers' forge logins"),
      assign: z.boolean().default(true).describe('Assign them to the gate and drift issues'),
    })
    .prefault({})
    .describe('On the forge serve reports to (--forge)'),
  webhook: webhook.optional().describe('A generic JSON webhook, HMAC-signed, retried with backoff'),
  email: email.optional().describe('E-mail through an SMTP server'),
});
export type Notifications = z.infer<typeof notifications>;
