import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, RegistryError } from '../../../src/docker/registry-client.ts';
import { startRegistry, type TestRegistry } from '../../support/registry-server.ts';

// Debian's docker-registry 2.8 in each auth mode Slipway supports: htpasswd, and `auth: token` with the
// sandbox's token service as its realm (the Bearer challenge GHCR and Gitea answer with).
describe.each(['basic', 'token'] as const)('RegistryClient against docker-registry in %s mode', (mode) => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry(mode);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const client = (password: string) =>
    new RegistryClient({
      registry: registry.address,
      scheme: 'http',
      ...(registry.ca ? { ca: [registry.ca] } : {}),
      auth: { username: registry.username, password, registry: registry.address },
    });

  it('gets past the authentication with the login: a missing manifest is undefined, not a refusal', async () => {
    const c = client(registry.password);
    try {
      expect(await c.manifestDigest('acme/web', 'latest')).toBeUndefined();
      // A second repository needs a token of its own scope: the held one is refused, a new one fetched.
      expect(await c.manifestDigest('acme/other', 'latest')).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('refuses a wrong password with an error naming the registry and the user', async () => {
    const c = client('wrong-password');
    try {
      const err = await c.manifestDigest('acme/web', 'latest').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toContain(`registry http://${registry.address} refused`);
      if (mode === 'token') {
        expect((err as Error).message).toMatch(
          /refused the credentials of slipway \(token endpoint https:\/\/127\.0\.0\.1:\d+\/token answered 401\)/,
        );
      }
      expect((err as Error).message).not.toContain('wrong-password');
    } finally {
      await c.close();
    }
  });
});
