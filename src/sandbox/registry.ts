/**
 * The instance's OCI registry: Debian's docker-registry on the gateway address, TLS from a local CA
 * (hosts trust it through /etc/docker/certs.d in their private /etc, the runner's dockerd through the
 * machine's) and htpasswd auth with a generated password kept in a 0600 file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { caArgv, htpasswdArgv, registryArgv, serverCsrArgv, serverSignArgv } from './commands.ts';
import { run, spawnDaemon } from './exec.ts';
import type { Layout } from './layout.ts';
import { REGISTRY_PORT, type SandboxPlan } from './plan.ts';
import { type ProcRef, refOf } from './processes.ts';
import { tcpOpen, waitFor } from './wait.ts';

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
  };
}

/** Reads the registry login written by `up`. */
export function readCredentials(files: RegistryFiles): RegistryCredentials {
  return JSON.parse(readFileSync(files.credentials, 'utf8')) as RegistryCredentials;
}

/** The registry's config file content: TLS, htpasswd, storage under the state dir. */
export function registryConfig(plan: SandboxPlan, files: RegistryFiles, secret: string): string {
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
    auth: { htpasswd: { realm: `slipway-sandbox-${plan.name}`, path: files.htpasswd } },
  });
}

/** Creates the CA, the server certificate, the login and the config unless they exist. */
export async function ensureRegistryFiles(plan: SandboxPlan, layout: Layout): Promise<RegistryFiles> {
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
  if (!existsSync(f.config)) {
    writeFileSync(f.config, registryConfig(plan, f, randomBytes(24).toString('hex')), { mode: 0o600 });
  }
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

/** HTTP status of an authenticated GET of `path` on the registry (0 when it cannot be reached). */
export async function registryGet(plan: SandboxPlan, files: RegistryFiles, path: string): Promise<number> {
  const creds = readCredentials(files);
  const dispatcher = new Agent({ connect: { ca: readFileSync(files.caCert, 'utf8'), timeout: 3_000 } });
  try {
    const res = await request(`https://${plan.registry}${path}`, {
      dispatcher,
      headers: {
        authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`,
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
