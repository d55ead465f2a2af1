import Docker from 'dockerode';
import { digestReference, parseRepository } from '../docker/image-ref.ts';
import type { RegistryCredentials } from '../docker/push.ts';
import { RegistryClient, registryEndpoint } from '../docker/registry-client.ts';

/** Rejects unless the registry answers, accepts the credentials and holds `repository@digest`: checked before any host is touched. */
export async function requireManifest(
  repository: string,
  digest: string,
  auth: RegistryCredentials | undefined,
  signal: AbortSignal,
): Promise<void> {
  const { registry, path } = parseRepository(repository);
  const client = new RegistryClient({
    ...(await registryEndpoint(new Docker(), registry)),
    ...(auth ? { auth } : {}),
    signal,
  });
  try {
    if ((await client.manifestDigest(path, digest)) === undefined) {
      throw new Error(`deploy: the registry has no ${digestReference(repository, digest)}`);
    }
  } finally {
    await client.close();
  }
}
