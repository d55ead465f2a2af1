import { readdir, readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type Docker from 'dockerode';
import { Agent, type Dispatcher, request } from 'undici';
import { errorMessage } from '../util/errors.ts';
import type { RegistryCredentials } from './push.ts';
import { basicAuthorization, sendAuthorized, TokenRefusedError } from './registry-auth.ts';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base || !isIPv4(base)) return false;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(base) & mask);
}

/**
 * `http` when the runner's daemon treats the registry as insecure (its `insecure-registries`, or the
 * loopback range docker allows by default), else `https`: the registry client then speaks to the
 * registry exactly as the daemon that pushed to it does.
 */
export async function registryScheme(docker: Docker, registry: string): Promise<'http' | 'https'> {
  const info = await docker.info();
  const config = info.RegistryConfig ?? {};
  if (config.IndexConfigs?.[registry]?.Secure === false) return 'http';
  const host = registry.replace(/:\d+$/, '');
  if (host === 'localhost') return 'http';
  const cidrs: string[] = config.InsecureRegistryCIDRs ?? [];
  if (isIPv4(host) && cidrs.some((c) => inCidr(host, c))) return 'http';
  return 'https';
}

/** Where docker looks for a registry's own CA certificates (`<dir>/<host:port>/*.crt`). */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

/** CA certificates the runner's docker trusts for `registry` besides the system ones; empty when none. */
export async function registryCaCertificates(
  registry: string,
  certsDir = DOCKER_CERTS_DIR,
): Promise<string[]> {
  const dir = join(certsDir, registry);
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.filter((n) => n.endsWith('.crt')).map((n) => readFile(join(dir, n), 'utf8')));
}

/** How to reach a registry as the runner's daemon does: scheme, plus any CA it trusts for it. */
export interface RegistryEndpoint {
  registry: string;
  scheme: 'http' | 'https';
  ca: string[];
}

/** The endpoint of `registry` as the runner's docker daemon sees it (insecure list, certs.d). */
export async function registryEndpoint(docker: Docker, registry: string): Promise<RegistryEndpoint> {
  const scheme = await registryScheme(docker, registry);
  return { registry, scheme, ca: scheme === 'https' ? await registryCaCertificates(registry) : [] };
}

/** Why the registry could not be used: unreachable, credentials refused, or the manifest is missing. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** A minimal OCI distribution client: enough to check, before touching any host, that an image can be pulled. */
export class RegistryClient {
  readonly #base: string;
  readonly #scheme: 'http' | 'https';
  readonly #auth: RegistryCredentials | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #dispatcher: Dispatcher | undefined;
  #bearer: string | undefined;

  constructor(opts: {
    registry: string;
    scheme: 'http' | 'https';
    /** Extra CA certificates (PEM) to trust besides the system's, as docker does from certs.d. */
    ca?: readonly string[];
    auth?: RegistryCredentials;
    signal?: AbortSignal;
  }) {
    this.#base = `${opts.scheme}://${opts.registry}`;
    this.#scheme = opts.scheme;
    this.#auth = opts.auth;
    this.#signal = opts.signal;
    if (opts.ca?.length) this.#dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...opts.ca] } });
  }

  /** Releases the connections of a client made with extra CAs. */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }

  // Sends with the credentials, through the Bearer token flow when the registry asks for it.
  async #authorized(send: (authorization: string | undefined) => Promise<Dispatcher.ResponseData>) {
    try {
      const { res, bearer } = await sendAuthorized(send, {
        registryScheme: this.#scheme,
        ...(this.#auth ? { basic: basicAuthorization(this.#auth.username, this.#auth.password) } : {}),
        ...(this.#bearer ? { bearer: this.#bearer } : {}),
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
        ...(this.#signal ? { signal: this.#signal } : {}),
      });
      this.#bearer = bearer;
      return res;
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      const who = this.#auth ? `the credentials of ${this.#auth.username}` : 'anonymous access';
      if (err instanceof TokenRefusedError)
        throw new RegistryError(`registry ${this.#base} refused ${who} (${err.message})`);
      throw new RegistryError(`registry ${this.#base}: ${errorMessage(err)}`);
    }
  }

  async #send(method: 'HEAD' | 'GET', url: string, authorization: string | undefined) {
    try {
      return await request(url, {
        method,
        headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
        signal: this.#signal,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
    } catch (err) {
      throw new RegistryError(`registry ${this.#base} is unreachable: ${errorMessage(err)}`);
    }
  }

  /**
   * The digest the registry holds for `path` at `reference` (tag or digest), or undefined when it has
   * no such manifest. Throws RegistryError when the registry cannot be reached or refuses the credentials.
   */
  async manifestDigest(path: string, reference: string): Promise<string | undefined> {
    const url = `${this.#base}/v2/${path}/manifests/${reference}`;
    const res = await this.#authorized((authorization) => this.#send('HEAD', url, authorization));
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryError(
        `registry ${this.#base} refused the credentials for ${path} (${res.statusCode})`,
      );
    }
    if (res.statusCode !== 200)
      throw new RegistryError(`registry ${this.#base} answered ${res.statusCode} for ${path}`);
    const digest = res.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : reference;
  }
}
