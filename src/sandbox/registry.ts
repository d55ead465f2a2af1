/**
 * The instance's OCI registry: Debian's docker-registry on the gateway address, TLS from a local CA
 * (hosts trust it through /etc/docker/certs.d in their private /etc, the runner's dockerd through the
 * machine's) and a generated password kept in a 0600 file. Basic auth (htpasswd) by default; in token
 * mode the registry answers a Bearer challenge, as GHCR and Gitea do, and the sandbox's token service
 * (token-service.ts, on the gateway's TOKEN_PORT) issues the tokens.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type Dispatcher, request } from 'undici';
import { parse, stringify } from 'yaml';
import {
  caArgv,
  htpasswdArgv,
  registryArgv,
  serverCsrArgv,
  serverSignArgv,
  tokenServiceArgv,
} from './commands.ts';
import { run, spawnDaemon } from './exec.ts';
import type { Layout } from './layout.ts';
import { REGISTRY_PORT, type SandboxPlan, TOKEN_PORT } from './plan.ts';
import { type ProcRef, refOf } from './processes.ts';
import type { TokenServiceConfig } from './token-service.ts';
import { tcpOpen, waitFor } from './wait.ts';

/** How the registry authenticates: `basic` (htpasswd, the default) or `token` (Bearer tokens from the token service). */
export type RegistryAuth = 'basic' | 'token';

/** The auth modes `sandbox up --registry-auth` accepts. */
export const REGISTRY_AUTH_MODES: readonly RegistryAuth[] = ['basic', 'token'];

/** Login of the instance registry. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** Files of the instance registry. */
export interface RegistryFiles {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  htpasswd: string;
  credentials: string;
  config: string;
  data: string;
  log: string;
  /** Key that signs the tokens, and its self-signed certificate: the registry's rootcertbundle. */
  tokenKey: string;
  tokenCert: string;
  tokenConfig: string;
  tokenLog: string;
}

/** Where the registry's files are in the layout. */
export function registryFiles(layout: Layout): RegistryFiles {
  const d = layout.registryDir;
  return {
    caCert: join(d, 'ca.crt'),
    caKey: join(d, 'ca.key'),
    cert: join(d, 'server.crt'),
    key: join(d, 'server.key'),
    htpasswd: join(d, 'htpasswd'),
    credentials: join(d, 'credentials.json'),
    config: join(d, 'config.yml'),
    data: join(d, 'data'),
    log: join(layout.logsDir, 'registry.log'),
    tokenKey: join(d, 'token-signing.key'),
    tokenCert: join(d, 'token-signing.crt'),
    tokenConfig: join(d, 'token-service.json'),
    tokenLog: join(layout.logsDir, 'token-service.log'),
  };
}

/** Reads the registry login written by `up`. */
export function readCredentials(files: RegistryFiles): RegistryCredentials {
  return JSON.parse(readFileSync(files.credentials, 'utf8')) as RegistryCredentials;
}

/** Where the token service answers, and the names the registry and it agree on. */
export function tokenEndpoint(plan: SandboxPlan): { realm: string; service: string; issuer: string } {
  return {
    realm: `https://${plan.gateway}:${TOKEN_PORT}/token`,
    service: `slipway-sandbox-${plan.name}`,
    issuer: `slipway-sandbox-${plan.name}-token-service`,
  };
}

/** The `auth` section of the registry's config for `mode`. */
function authSection(plan: SandboxPlan, files: RegistryFiles, mode: RegistryAuth): Record<string, unknown> {
  if (mode === 'basic') return { htpasswd: { realm: `slipway-sandbox-${plan.name}`, path: files.htpasswd } };
  return { token: { ...tokenEndpoint(plan), rootcertbundle: files.tokenCert } };
}

/** The registry's config file content: TLS, auth, storage under the state dir. */
export function registryConfig(
  plan: SandboxPlan,
  files: RegistryFiles,
  secret: string,
  mode: RegistryAuth,
): string {
  return stringify({
    version: 0.1,
    log: { level: 'info', fields: { service: 'registry', instance: plan.name } },
    storage: { filesystem: { rootdirectory: files.data }, delete: { enabled: true } },
    http: {
      addr: `${plan.gateway}:${REGISTRY_PORT}`,
      secret,
      tls: { certificate: files.cert, key: files.key },
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    auth: authSection(plan, files, mode),
  });
}

/** The token service's config file content: the registry's TLS files, the signing pair, the login. */
export function tokenServiceConfig(plan: SandboxPlan, files: RegistryFiles): string {
  const { service, issuer } = tokenEndpoint(plan);
  const config: TokenServiceConfig = {
    host: plan.gateway,
    port: TOKEN_PORT,
    tlsCert: files.cert,
    tlsKey: files.key,
    signingKey: files.tokenKey,
    signingCert: files.tokenCert,
    issuer,
    service,
    credentials: files.credentials,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

// Writes the registry's config for `mode`, keeping the HTTP secret of the one already there.
function writeRegistryConfig(plan: SandboxPlan, f: RegistryFiles, mode: RegistryAuth): void {
  const old = existsSync(f.config)
    ? (parse(readFileSync(f.config, 'utf8')) as { http?: { secret?: string } })
    : {};
  const secret = old.http?.secret ?? randomBytes(24).toString('hex');
  writeFileSync(f.config, registryConfig(plan, f, secret, mode), { mode: 0o600 });
}

/** Creates the CA, the server certificate, the login and the token signing pair unless they exist; writes the config for `mode`. */
export async function ensureRegistryFiles(
  plan: SandboxPlan,
  layout: Layout,
  mode: RegistryAuth,
): Promise<RegistryFiles> {
  const f = registryFiles(layout);
  mkdirSync(f.data, { recursive: true, mode: 0o700 });
  if (!existsSync(f.caCert) || !existsSync(f.caKey)) {
    await run(caArgv(f.caKey, f.caCert, `slipway sandbox ${plan.name} CA`));
    rmSync(f.cert, { force: true });
  }
  if (!existsSync(f.cert) || !existsSync(f.key)) {
    const csr = await run(serverCsrArgv(f.key, plan.gateway));
    const ext = join(layout.registryDir, 'server.ext');
    writeFileSync(
      ext,
      `subjectAltName=IP:${plan.gateway}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
    await run(serverSignArgv(f.caKey, f.caCert, f.cert, ext), { input: csr });
  }
  if (!existsSync(f.credentials) || !existsSync(f.htpasswd)) {
    const creds: RegistryCredentials = {
      username: 'slipway',
      password: randomBytes(18).toString('base64url'),
    };
    const line = await run(htpasswdArgv(creds.username), { input: `${creds.password}\n` });
    writeFileSync(f.htpasswd, `${line.trim()}\n`, { mode: 0o600 });
    writeFileSync(f.credentials, `${JSON.stringify(creds)}\n`, { mode: 0o600 });
  }
  if (mode === 'token') {
    if (!existsSync(f.tokenCert) || !existsSync(f.tokenKey))
      await run(caArgv(f.tokenKey, f.tokenCert, `slipway sandbox ${plan.name} token signing`));
    writeFileSync(f.tokenConfig, tokenServiceConfig(plan, f), { mode: 0o600 });
  }
  writeRegistryConfig(plan, f, mode);
  return f;
}

/** Starts the registry and waits until it listens. */
export async function startRegistry(plan: SandboxPlan, files: RegistryFiles): Promise<ProcRef> {
  const ref = refOf(spawnDaemon(registryArgv(files.config), files.log));
  if (!ref) throw new Error(`the registry exited at once; see ${files.log}`);
  await waitFor(
    `the registry on ${plan.registry} (log: ${files.log})`,
    () => tcpOpen(plan.gateway, REGISTRY_PORT, 500),
    15_000,
    50,
  );
  return ref;
}

/** Starts the token service and waits until it listens. */
export async function startTokenService(plan: SandboxPlan, files: RegistryFiles): Promise<ProcRef> {
  const ref = refOf(spawnDaemon(tokenServiceArgv(files.tokenConfig), files.tokenLog));
  if (!ref) throw new Error(`the token service exited at once; see ${files.tokenLog}`);
  await waitFor(
    `the token service on ${plan.gateway}:${TOKEN_PORT} (log: ${files.tokenLog})`,
    () => tcpOpen(plan.gateway, TOKEN_PORT, 500),
    15_000,
    50,
  );
  return ref;
}

/** The mode the registry's config file sets. */
function configuredAuth(files: RegistryFiles): RegistryAuth {
  const config = parse(readFileSync(files.config, 'utf8')) as { auth?: { token?: unknown } };
  return config.auth?.token ? 'token' : 'basic';
}

/**
 * The Authorization header for `path`: the instance login, or in token mode a token the instance's token
 * service issues for it (pull on the repository of a manifest path), as a docker client would get one.
 */
async function authorizationFor(
  plan: SandboxPlan,
  files: RegistryFiles,
  path: string,
  dispatcher: Dispatcher,
): Promise<string> {
  const creds = readCredentials(files);
  const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  if (configuredAuth(files) === 'basic') return basic;
  const { realm, service } = tokenEndpoint(plan);
  const url = new URL(realm);
  url.searchParams.set('service', service);
  const repository = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(path)?.[1];
  if (repository) url.searchParams.set('scope', `repository:${repository}:pull`);
  const res = await request(url, { dispatcher, headers: { authorization: basic }, headersTimeout: 5_000 });
  const body = (await res.body.json().catch(() => ({}))) as { token?: string };
  if (res.statusCode !== 200 || !body.token) throw new Error(`the token service answered ${res.statusCode}`);
  return `Bearer ${body.token}`;
}

/** HTTP status of an authenticated GET of `path` on the registry (0 when it or its token service cannot be reached). */
export async function registryGet(plan: SandboxPlan, files: RegistryFiles, path: string): Promise<number> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(files.caCert, 'utf8'), timeout: 3_000 } });
  try {
    const res = await request(`https://${plan.registry}${path}`, {
      dispatcher,
      headers: {
        authorization: await authorizationFor(plan, files, path, dispatcher),
        accept:
          'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  } finally {
    await dispatcher.close();
  }
}

/** True when the registry answers /v2/ with the instance login over verified TLS. */
export async function registryHealthy(plan: SandboxPlan, files: RegistryFiles): Promise<boolean> {
  return existsSync(files.credentials) && (await registryGet(plan, files, '/v2/')) === 200;
}

/** Where the runner's dockerd looks for the CA of the instance registry. */
export function runnerCertsDir(plan: SandboxPlan): string {
  return join('/etc/docker/certs.d', plan.registry);
}

/** Makes the runner's dockerd trust the registry's CA (read at each push, no restart needed). */
export function trustOnRunner(plan: SandboxPlan, files: RegistryFiles): void {
  mkdirSync(runnerCertsDir(plan), { recursive: true });
  writeFileSync(join(runnerCertsDir(plan), 'ca.crt'), readFileSync(files.caCert));
}

/** Removes the runner's trust of the registry's CA. */
export function untrustOnRunner(plan: SandboxPlan): void {
  rmSync(runnerCertsDir(plan), { recursive: true, force: true });
}
