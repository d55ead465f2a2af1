import { describe, expect, it } from 'vitest';
import {
  digestReference,
  ociLabels,
  parseDigestReference,
  parseRepository,
} from '../../../src/docker/image-ref.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it('splits the registry host from the path like docker does', () => {
    expect(parseRepository('10.207.0.2:5000/acme/web')).toEqual({
      registry: '10.207.0.2:5000',
      path: 'acme/web',
      name: '10.207.0.2:5000/acme/web',
    });
    expect(parseRepository('localhost/web').registry).toBe('localhost');
    expect(parseRepository('acme/web')).toMatchObject({ registry: 'docker.io', path: 'acme/web' });
    expect(parseRepository('nginx')).toMatchObject({ registry: 'docker.io', path: 'library/nginx' });
  });

  it('builds and parses digest references, refusing anything but a sha256 digest', () => {
    expect(digestReference('r.example.com/acme/web', D)).toBe(`r.example.com/acme/web@${D}`);
    expect(parseDigestReference(`r.example.com:5000/acme/web@${D}`)).toEqual({
      repository: 'r.example.com:5000/acme/web',
      digest: D,
    });
    expect(() => digestReference('web', 'latest')).toThrow(/not an image digest/);
    expect(() => parseDigestReference('web:latest')).toThrow(/not a digest reference/);
  });

  it('labels with revision, source and creation time', () => {
    expect(ociLabels({ revision: 'abc', source: 'https://g/x', created: new Date(0) })).toEqual({
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.source': 'https://g/x',
      'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z',
    });
  });
});
