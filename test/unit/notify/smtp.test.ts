import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMail } from '../../../src/notify/email.ts';
import { SmtpError, sendMail } from '../../../src/notify/smtp.ts';
import { type SmtpReceiver, startSmtpReceiver, testCertificate } from '../../support/smtp-receiver.ts';

const PASSWORD = 'smtp-pass-Xy7!';
let cert: ReturnType<typeof testCertificate>;
let secure: SmtpReceiver;
let plain: SmtpReceiver;

beforeAll(async () => {
  cert = testCertificate();
  secure = await startSmtpReceiver({ tls: cert, users: { slipway: PASSWORD } });
  plain = await startSmtpReceiver();
});
afterAll(async () => {
  await secure?.close();
  await plain?.close();
});

const message = (subject: string, text: string) =>
  composeMail({ from: 'slipway@example.com', to: ['ops@example.com'], subject, text, id: 'x' });
const decoded = (data: string) =>
  Buffer.from(data.split('\r\n\r\n')[1]!.replace(/\r\n/g, ''), 'base64').toString();

describe('sendMail', () => {
  it('upgrades with STARTTLS (certificate verified), logs in, and delivers the message to every recipient', async () => {
    await sendMail(
      {
        host: '127.0.0.1',
        port: secure.port,
        security: 'starttls',
        username: 'slipway',
        password: PASSWORD,
        tls: { ca: cert.ca },
      },
      { from: 'slipway@example.com', to: ['ops@example.com', 'alice@example.com'] },
      message('Approval needed: web ✓', '.leading dot\nsecond line'),
    );
    const [mail] = secure.mails;
    expect(mail).toMatchObject({
      from: 'slipway@example.com',
      to: ['ops@example.com', 'alice@example.com'],
      tls: true,
      user: 'slipway',
    });
    expect(mail!.data).toContain(
      `Subject: =?UTF-8?B?${Buffer.from('Approval needed: web ✓').toString('base64')}?=`,
    );
    expect(decoded(mail!.data)).toBe('.leading dot\r\nsecond line');
    // The password travelled only inside TLS: the commands seen before STARTTLS hold no AUTH.
    const before = secure.commands.slice(0, secure.commands.indexOf('STARTTLS'));
    expect(before.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('refuses a certificate it cannot verify, and a server without STARTTLS, sending nothing', async () => {
    const before = secure.mails.length;
    await expect(
      sendMail(
        { host: '127.0.0.1', port: secure.port, security: 'starttls' },
        { from: 'a@b.c', to: ['d@e.f'] },
        message('s', 't'),
      ),
    ).rejects.toThrow(/TLS: .*(self.signed|unable to verify|certificate)/i);
    await expect(
      sendMail(
        { host: '127.0.0.1', port: plain.port, security: 'starttls' },
        { from: 'a@b.c', to: ['d@e.f'] },
        message('s', 't'),
      ),
    ).rejects.toThrow('127.0.0.1 does not offer STARTTLS; write security: tls or none');
    expect(secure.mails.length + plain.mails.length).toBe(before);
  });

  it('says which step the server refused, transient (4xx) or not, without the password', async () => {
    const wrong = sendMail(
      {
        host: '127.0.0.1',
        port: secure.port,
        security: 'starttls',
        username: 'slipway',
        password: 'wrong-pass-123',
        tls: { ca: cert.ca },
      },
      { from: 'a@b.c', to: ['d@e.f'] },
      message('s', 't'),
    );
    await expect(wrong).rejects.toMatchObject({
      transient: false,
      message: 'AUTH PLAIN: the server answered 535 5.7.8 authentication failed',
    });
    plain.refuseNext(1);
    const busy = await sendMail(
      { host: '127.0.0.1', port: plain.port, security: 'none' },
      { from: 'a@b.c', to: ['d@e.f'] },
      message('s', 't'),
    ).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(SmtpError);
    expect(busy).toMatchObject({
      transient: true,
      message: 'greeting: the server answered 421 4.3.2 too busy, try later',
    });
  });
});
