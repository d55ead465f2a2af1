import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

/** A message as the receiver took it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  /** Whether the conversation was on TLS when DATA came, and who logged in. */
  tls: boolean;
  user?: string;
}

/** An SMTP receiver run by a test: a real TCP server speaking the protocol, keeping what it is sent. */
export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** Every command line received, AUTH tokens included, for checks of what went over the wire. */
  commands: string[];
  /** The next `n` connections are answered `421` at once (a server too busy). */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

/** A throwaway CA and a certificate for 127.0.0.1 it signed (openssl), for STARTTLS. */
export function testCertificate(): { ca: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-smtp-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=slipway test CA',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'srv.key',
      '-out',
      'srv.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost" > ext'], { cwd: dir });
    ssl(
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'srv.crt',
      '-days',
      '2',
      '-extfile',
      'ext',
    );
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.crt'), key: read('srv.key'), cert: read('srv.crt') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the receiver on 127.0.0.1. With `tls`, EHLO offers STARTTLS; with `users`, AUTH PLAIN and LOGIN
 * are offered and checked (535 for a wrong password).
 */
export async function startSmtpReceiver(
  opts: { tls?: { key: string; cert: string }; users?: Record<string, string> } = {},
): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const commands: string[] = [];
  let refuse = 0;
  const sockets = new Set<Socket>();

  const converse = (raw: Socket) => {
    let socket: Socket = raw;
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    if (refuse > 0) {
      refuse--;
      raw.end('421 4.3.2 too busy, try later\r\n');
      return;
    }
    const send = (line: string) => socket.write(`${line}\r\n`);
    let buffer = '';
    let mail: { from: string; to: string[] } | undefined;
    let data: string[] | undefined;
    let user: string | undefined;
    let login: { step: 'user' | 'password'; user?: string } | undefined;
    const ok = (u: string, p: string) => opts.users?.[u] === p;
    const line = (l: string) => {
      if (data) {
        if (l === '.') {
          mails.push({
            ...mail!,
            data: data.join('\r\n'),
            tls: socket instanceof TLSSocket,
            ...(user ? { user } : {}),
          });
          data = undefined;
          mail = undefined;
          return send('250 2.0.0 queued');
        }
        data.push(l.startsWith('..') ? l.slice(1) : l);
        return;
      }
      commands.push(l);
      if (login) {
        const value = Buffer.from(l, 'base64').toString();
        if (login.step === 'user') {
          login = { step: 'password', user: value };
          return send('334 UGFzc3dvcmQ6');
        }
        const u = login.user!;
        login = undefined;
        if (!ok(u, value)) return send('535 5.7.8 authentication failed');
        user = u;
        return send('235 2.7.0 accepted');
      }
      const [verb = '', ...rest] = l.split(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO': {
          const ext = [
            ...(opts.tls && !(socket instanceof TLSSocket) ? ['STARTTLS'] : []),
            ...(opts.users ? ['AUTH PLAIN LOGIN'] : []),
            '8BITMIME',
          ];
          return send(
            ['250-receiver.test', ...ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}`)].join(
              '\r\n',
            ),
          );
        }
        case 'STARTTLS': {
          send('220 2.0.0 go ahead');
          raw.removeAllListeners('data');
          const secure = new TLSSocket(raw, { isServer: true, key: opts.tls!.key, cert: opts.tls!.cert });
          secure.on('error', () => {});
          socket = secure;
          buffer = '';
          secure.on('data', onData);
          return;
        }
        case 'AUTH': {
          if (rest[0]?.toUpperCase() === 'LOGIN') {
            login = { step: 'user' };
            return send('334 VXNlcm5hbWU6');
          }
          const [, u = '', p = ''] = Buffer.from(rest[1] ?? '', 'base64')
            .toString()
            .split('\0');
          if (!ok(u, p)) return send('535 5.7.8 authentication failed');
          user = u;
          return send('235 2.7.0 accepted');
        }
        case 'MAIL':
          mail = { from: /<(.*)>/.exec(l)?.[1] ?? '', to: [] };
          return send('250 2.1.0 ok');
        case 'RCPT':
          mail?.to.push(/<(.*)>/.exec(l)?.[1] ?? '');
          return send('250 2.1.5 ok');
        case 'DATA':
          data = [];
          return send('354 end with <CRLF>.<CRLF>');
        case 'QUIT':
          send('221 2.0.0 bye');
          return socket.end();
        default:
          return send('502 5.5.2 not implemented');
      }
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let nl = buffer.indexOf('\r\n'); nl >= 0; nl = buffer.indexOf('\r\n')) {
        const l = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        line(l);
      }
    };
    raw.on('data', onData);
    raw.on('error', () => {});
    send('220 receiver.test ESMTP');
  };

  const server: Server = createServer(converse);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    mails,
    commands,
    refuseNext(n) {
      refuse = n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
