import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

/**
 * Where the dashboard is: the Host headers it answers and the Origins its forms may be posted from. Both
 * come from configuration (the public URL) or, without one, from loopback names and the port the request
 * came in on (the socket's, not a header's): never from what the request claims, so a DNS-rebound name
 * is refused and cannot make itself the expected Origin.
 */
export interface Site {
  /** Whether the request's Host header names this dashboard. */
  hostAllowed(req: IncomingMessage): boolean;
  /** Whether `origin` (an Origin header, or a Referer's origin) is this dashboard's, as reached by `req`. */
  originAllowed(origin: string, req: IncomingMessage): boolean;
  /** What to tell a request with another Host. */
  misdirected: string;
}

/** A Host header: a name or an address (IPv6 in brackets), an optional port, nothing else. */
const HOST = /^(?<name>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(?<port>\d{1,5}))?$/i;

/** Loopback names a browser on the same machine uses: `localhost`, 127.0.0.0/8, `[::1]`. */
function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** The site of a dashboard published at `publicOrigin` (e.g. `https://ci.example.com`), else loopback only. */
export function siteOf(publicOrigin?: string): Site {
  if (publicOrigin) {
    const { host, origin } = new URL(publicOrigin);
    return {
      hostAllowed: (req) => req.headers.host?.toLowerCase() === host,
      originAllowed: (o) => o === origin,
      misdirected: `This dashboard answers at ${origin} only (the --public-url of slipway serve).`,
    };
  }
  return {
    hostAllowed: (req) => {
      const name = HOST.exec(req.headers.host ?? '')?.groups?.name;
      return name !== undefined && isLoopback(name);
    },
    originAllowed: (o, req) => {
      const scheme = req.socket instanceof TLSSocket ? 'https:' : 'http:';
      try {
        const url = new URL(o);
        const port = url.port || (url.protocol === 'https:' ? '443' : '80');
        return (
          url.origin === o &&
          url.protocol === scheme &&
          isLoopback(url.hostname) &&
          port === String(req.socket.localPort)
        );
      } catch {
        return false;
      }
    },
    misdirected:
      'This dashboard answers on loopback only (localhost, 127.0.0.1, [::1]). To reach it under another name, start slipway serve with --public-url.',
  };
}
