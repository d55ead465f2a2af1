import { isIP, connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';

/** An SMTP server and how to log in to it. */
export interface SmtpServer {
  host: string;
  port: number;
  /** `starttls`: upgrade after EHLO, refused when the server does not offer it; `tls`: TLS from the start. */
  security: 'starttls' | 'tls' | 'none';
  username?: string;
  password?: string;
  /** Extra TLS options (e.g. a private CA); certificates are always verified. */
  tls?: ConnectionOptions;
  timeoutMs?: number;
}

/** The server refused or the conversation broke; `transient` (4xx, network) may pass on a later try. */
export class SmtpError extends Error {
  readonly transient: boolean;
  constructor(message: string, transient: boolean) {
    super(message);
    this.name = 'SmtpError';
    this.transient = transient;
  }
}

interface Reply {
  code: number;
  lines: string[];
}

/** One SMTP conversation: commands out, multi-line replies in, over a socket that STARTTLS may replace. */
class Conversation {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #lines: string[] = [];
  #waiting?: (line: string | Error) => void;
  #failed?: Error;
  readonly #timeoutMs: number;

  constructor(socket: Socket | TLSSocket, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#socket = socket;
    this.#listen(socket);
  }

  #listen(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl = this.#buffer.indexOf('\n');
      while (nl >= 0) {
        this.#push(this.#buffer.slice(0, nl).replace(/\r$/, ''));
        this.#buffer = this.#buffer.slice(nl + 1);
        nl = this.#buffer.indexOf('\n');
      }
    });
    const fail = (err: Error) => {
      this.#failed ??= err;
      this.#waiting?.(err);
    };
    socket.on('error', (err) => fail(new SmtpError(`connection: ${err.message}`, true)));
    socket.on('close', () => fail(new SmtpError('the server closed the connection', true)));
  }

  #push(line: string): void {
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w(line);
    } else this.#lines.push(line);
  }

  #line(): Promise<string> {
    const next = this.#lines.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        reject(new SmtpError(`no answer within ${this.#timeoutMs / 1000}s`, true));
      }, this.#timeoutMs);
      this.#waiting = (line) => {
        clearTimeout(timer);
        if (line instanceof Error) reject(line);
        else resolve(line);
      };
    });
  }

  /** The next reply: lines `NNN-text` up to the one `NNN text`. */
  async reply(): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line();
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) throw new SmtpError(`expected an SMTP reply, got ${JSON.stringify(line.slice(0, 80))}`, false);
      lines.push(m[3]!);
      if (m[2] === ' ') return { code: Number(m[1]), lines };
    }
  }

  /** Sends one command (shown as `shown` in errors: never a credential) and expects one of `ok`. */
  async command(line: string, ok: readonly number[], shown = line): Promise<Reply> {
    this.#socket.write(`${line}\r\n`);
    return expect(await this.reply(), ok, shown);
  }

  /** Swaps the plain socket for TLS on top of it (after `STARTTLS` was accepted). */
  async upgrade(options: ConnectionOptions): Promise<void> {
    // Anything the server sent in clear after its STARTTLS reply could be injected (CVE-2011-0411 style).
    if (this.#buffer !== '' || this.#lines.length > 0)
      throw new SmtpError('the server sent data after accepting STARTTLS, before TLS: refused', false);
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = tlsConnect({ ...options, socket: plain });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', (err) => reject(new SmtpError(`TLS: ${err.message}`, false)));
    });
    this.#socket = secure;
    this.#listen(secure);
  }

  end(): void {
    this.#socket.end();
  }
}

function expect(r: Reply, ok: readonly number[], what: string): Reply {
  if (ok.includes(r.code)) return r;
  throw new SmtpError(
    `${what}: the server answered ${r.code} ${r.lines.join(' / ')}`,
    r.code >= 400 && r.code < 500,
  );
}

/** SNI for a host name (an IP address is checked against the certificate without one, RFC 6066). */
function serverName(host: string): { servername?: string } {
  return isIP(host) ? {} : { servername: host };
}

function open(s: SmtpServer, timeoutMs: number): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket =
      s.security === 'tls'
        ? tlsConnect({ ...s.tls, host: s.host, port: s.port, ...serverName(s.host) }, () => resolve(socket))
        : netConnect({ host: s.host, port: s.port }, () => resolve(socket));
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no connection within ${timeoutMs / 1000}s`)),
    );
    socket.once('error', (err) =>
      reject(new SmtpError(`connect to ${s.host}:${s.port}: ${err.message}`, true)),
    );
  });
}

/** The extensions an EHLO reply lists, upper-cased (`STARTTLS`, `AUTH PLAIN LOGIN`, ...). */
function extensions(r: Reply): string[] {
  return r.lines.slice(1).map((l) => l.toUpperCase());
}

async function login(c: Conversation, ext: readonly string[], user: string, password: string): Promise<void> {
  const auth = ext.find((e) => e.startsWith('AUTH '))?.split(/\s+/) ?? [];
  if (auth.includes('PLAIN')) {
    const token = Buffer.from(`\0${user}\0${password}`).toString('base64');
    await c.command(`AUTH PLAIN ${token}`, [235], 'AUTH PLAIN');
  } else if (auth.includes('LOGIN')) {
    await c.command('AUTH LOGIN', [334]);
    await c.command(Buffer.from(user).toString('base64'), [334], 'AUTH LOGIN (user)');
    await c.command(Buffer.from(password).toString('base64'), [235], 'AUTH LOGIN (password)');
  } else throw new SmtpError('the server offers neither AUTH PLAIN nor AUTH LOGIN', false);
}

/**
 * Sends one message: EHLO, STARTTLS when asked (never falling back to clear text), AUTH, MAIL FROM, one RCPT
 * TO per recipient, DATA (dot-stuffed), QUIT. Throws SmtpError naming the step and the server's answer.
 */
export async function sendMail(
  s: SmtpServer,
  envelope: { from: string; to: readonly string[] },
  message: string,
): Promise<void> {
  const timeoutMs = s.timeoutMs ?? 30_000;
  const c = new Conversation(await open(s, timeoutMs), timeoutMs);
  try {
    expect(await c.reply(), [220], 'greeting');
    const helo = `EHLO ${hostname() || 'slipway'}`;
    let ext = extensions(await c.command(helo, [250]));
    if (s.security === 'starttls') {
      if (!ext.includes('STARTTLS'))
        throw new SmtpError(`${s.host} does not offer STARTTLS; write security: tls or none`, false);
      await c.command('STARTTLS', [220]);
      await c.upgrade({ ...s.tls, host: s.host, ...serverName(s.host) });
      ext = extensions(await c.command(helo, [250]));
    }
    if (s.username !== undefined && s.password !== undefined) await login(c, ext, s.username, s.password);
    await c.command(`MAIL FROM:<${envelope.from}>`, [250]);
    for (const to of envelope.to) await c.command(`RCPT TO:<${to}>`, [250, 251]);
    await c.command('DATA', [354]);
    const body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    await c.command(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.`, [250], 'DATA (message)');
    await c.command('QUIT', [221]).catch(() => undefined);
  } finally {
    c.end();
  }
}
