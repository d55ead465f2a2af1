// Host patterns as Ansible 2.14 reads them (ansible/parsing/utils/addresses.py and
// plugins/inventory/__init__.py): `name[:port]`, `[v6]:port`, and `[a:b(:step)]` ranges.

/** A host pattern Ansible would refuse; the message follows Ansible's. */
export class HostPatternError extends Error {}

const NUM_RANGE = String.raw`\[[0-9]+:[0-9]+(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const W = String.raw`[\p{L}\p{N}_]`;
const LABEL = `(?:${W}|${ALNUM_RANGE})(?:${W}|[_-]|${ALNUM_RANGE})*(?<![_-])`;
const I4 = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUM_RANGE})`;
const I6 = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${I4}\\.){3}${I4}$`, 'i');
// Looser than Ansible's enumeration of compressed forms; it only decides whether a port-less
// pattern is kept as written, which it is either way.
const IPV6 = new RegExp(`^(?:${I6}|:)(?::${I6}|:)+$`, 'i');
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'iu');

/** Splits `host:port`/`[host]:port`; undefined when the host part is not an address or hostname. */
export function parseAddress(address: string): { host: string; port?: number } | undefined {
  let port: number | undefined;
  let rest = address;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(rest);
    if (m) {
      rest = m[1]!;
      port = Number.parseInt(m[2]!, 10);
    }
  }
  if (!IPV4.test(rest) && !IPV6.test(rest) && !HOSTNAME.test(rest)) return undefined;
  return port === undefined ? { host: rest } : { host: rest, port };
}

/** Host names and optional port a pattern stands for, e.g. `web[01:03].x:2222`. */
export function expandHostPattern(pattern: string): { hostnames: string[]; port?: number } {
  const parsed = parseAddress(pattern);
  const host = parsed?.host ?? pattern;
  const hostnames = host.includes('[') ? expandHostnameRange(host) : [host];
  return parsed?.port === undefined ? { hostnames } : { hostnames, port: parsed.port };
}

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function pyInt(text: string): number {
  const t = text.trim().replace(/_/g, '');
  if (!/^[+-]?\d+$/.test(t)) throw new HostPatternError(`invalid literal for int() with base 10: '${text}'`);
  return Number.parseInt(t, 10);
}

/** Expands the first `[begin:end(:step)]` of a name, recursively for the others (numeric or a-zA-Z). */
export function expandHostnameRange(line: string): string[] {
  const parts = line.replace('[', '|').replace(']', '|').split('|');
  if (parts.length !== 3) throw new HostPatternError(`not enough values to unpack in host range: ${line}`);
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3)
    throw new HostPatternError('host range must be begin:end or begin:end:step');
  let beg = bounds[0]!;
  const end = bounds[1]!;
  const step = bounds.length === 3 ? pyInt(bounds[2]!) : 1;
  if (!beg) beg = '0';
  if (!end) throw new HostPatternError('host range must specify end value');
  let fill = (x: string | number) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length)
      throw new HostPatternError('host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  if (step <= 0) throw new HostPatternError('range() arg 3 must not be zero');
  const seq: (string | number)[] = [];
  const iBeg = ASCII_LETTERS.indexOf(beg);
  const iEnd = ASCII_LETTERS.indexOf(end);
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new HostPatternError('host range must have begin <= end');
    for (let i = iBeg; i <= iEnd; i += step) seq.push(ASCII_LETTERS[i]!);
  } else {
    const b = pyInt(beg);
    const e = pyInt(end);
    for (let i = b; i <= e; i += step) seq.push(i);
  }
  const out: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    if (name.includes('[')) out.push(...expandHostnameRange(name));
    else out.push(name);
  }
  return out;
}
