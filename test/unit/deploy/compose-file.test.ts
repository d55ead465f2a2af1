// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { pinCompose } from '../../../src/deploy/compose-file.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const REF = `10.207.0.1:5000/acme/web@${DIGEST}`;

describe('pinCompose', () => {
  const compose = [
    '# comment kept',
    'services:',
    '  web:',
    '    image: ${SLIPWAY_IMAGE}',
    '    ports: ["127.0.0.1:${SLIPWAY_PORT_WEB}:8080"]',
    '  migrate:',
    '    image: $SLIPWAY_IMAGE',
    '    command: ["migrate"]',
    '  cache:',
    '    image: 10.207.0.1:5000/lib/cache@sha256:' + 'c'.repeat(64),
    '',
  ].join('\n');

  it('writes the digest into every service of the app image and finds port services', () => {
    const pinned = pinCompose(compose, REF);
    expect(pinned.services).toEqual(['web', 'migrate', 'cache']);
    expect(pinned.appServices).toEqual(['web', 'migrate']);
    expect(pinned.portServices).toEqual(['web']);
    expect(pinned.text).toContain(`image: ${REF}`);
    expect(pinned.text).not.toContain('SLIPWAY_IMAGE');
    expect(pinned.text).toContain('# comment kept');
  });

  it('takes ${SLIPWAY_PORT} as the first app service', () => {
    const p = pinCompose(
      'services:\n  app:\n    image: ${SLIPWAY_IMAGE}\n    ports: ["${SLIPWAY_PORT}:80"]\n',
      REF,
    );
    expect(p.portServices).toEqual(['app']);
  });

  it('refuses builds on hosts, files without the app image, and broken YAML', () => {
    expect(() => pinCompose('services:\n  web:\n    build: .\n    image: ${SLIPWAY_IMAGE}\n', REF)).toThrow(
      /build:/,
    );
    expect(() => pinCompose('services:\n  web:\n    image: nginx\n', REF)).toThrow(/no service has image/);
    expect(() => pinCompose('services: [\n', REF)).toThrow(/compose.yml/);
    expect(() => pinCompose('version: "3"\n', REF)).toThrow(/no services/);
  });
});
