// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { pinCompose } from '../../../src/deploy/compose-file.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const REF = `10.207.0.1:5000/acme/web@${DIGEST}`;
const WEB = { app: 'web', environment: 'prod', marks: {} };
const pin = (source: string, target = WEB) => pinCompose(source, REF, 'compose.yml', target);

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
    const pinned = pin(compose);
    expect(pinned.services).toEqual(['web', 'migrate', 'cache']);
    expect(pinned.appServices).toEqual(['web', 'migrate']);
    expect(pinned.portServices).toEqual(['web']);
    expect(pinned.text).toContain(`image: ${REF}`);
    expect(pinned.text).not.toContain('SLIPWAY_IMAGE');
    expect(pinned.text).toContain('# comment kept');
  });

  it('takes ${SLIPWAY_PORT} as the first app service', () => {
    const p = pin('services:\n  app:\n    image: ${SLIPWAY_IMAGE}\n    ports: ["${SLIPWAY_PORT}:80"]\n');
    expect(p.portServices).toEqual(['app']);
  });

  it('refuses builds on hosts, files without the app image, and broken YAML', () => {
    expect(() => pin('services:\n  web:\n    build: .\n    image: ${SLIPWAY_IMAGE}\n')).toThrow(/build:/);
    expect(() => pin('services:\n  web:\n    image: nginx\n')).toThrow(/no service has image/);
    expect(() => pin('services: [\n')).toThrow(/compose.yml/);
    expect(() => pin('version: "3"\n')).toThrow(/no services/);
  });

  const withDb = [
    'services:',
    '  web:',
    '    image: ${SLIPWAY_IMAGE}',
    '    ports: ["127.0.0.1:${SLIPWAY_PORT_WEB}:8080"]',
    '    depends_on: [db]',
    '    volumes: ["uploads:/uploads"]',
    '  db:',
    '    image: registry.test/postgres:15',
    '    environment: { POSTGRES_PASSWORD: "${DB_PASSWORD}" }',
    '    volumes: ["pgdata:/var/lib/postgresql/data"]',
    'volumes:',
    '  pgdata:',
    '  uploads: { driver: local }',
    '',
  ].join('\n');

  it('splits stateful services into their own file, on a shared network, with volumes named per app and environment', () => {
    const p = pin(withDb);
    expect(p.services).toEqual(['web']);
    expect(p.stateful?.services).toEqual(['db']);
    expect(p.volumes).toEqual([
      { volume: 'pgdata', name: 'slipway_web_prod_pgdata' },
      { volume: 'uploads', name: 'slipway_web_prod_uploads', driver: 'local' },
    ]);
    expect(p.network).toBe('slipway_web_prod');
    expect(p.otherImages).toEqual(['registry.test/postgres:15']);
    const release = p.text;
    expect(release).not.toContain('postgres');
    expect(release).not.toContain('depends_on');
    expect(release).toContain('name: slipway_web_prod_uploads');
    expect(release).toMatch(/networks:\n\s+- default\n\s+- slipway-shared/);
    expect(release).toMatch(/slipway-shared:\n\s+external: true\n\s+name: slipway_web_prod/);
    expect(p.stateful!.text).not.toContain('SLIPWAY_IMAGE');
    expect(p.stateful!.text).not.toContain(REF);
    expect(p.stateful!.text).toContain('name: slipway_web_prod_pgdata');
    expect(p.stateful!.definitions.db).toContain('image: registry.test/postgres:15');
  });

  it('keeps volumes the same in every environment only by name: another environment gets its own', () => {
    expect(pin(withDb, { ...WEB, environment: 'dev' }).volumes.map((v) => v.name)).toEqual([
      'slipway_web_dev_pgdata',
      'slipway_web_dev_uploads',
    ]);
  });

  it("marks a service stateless with false, and keeps an external volume the user's", () => {
    const p = pin(withDb.replace('  uploads: { driver: local }', '  uploads: { external: true }'), {
      ...WEB,
      marks: { db: false },
    });
    expect(p.stateful).toBeUndefined();
    expect(p.services).toEqual(['web', 'db']);
    expect(p.volumes.map((v) => v.volume)).toEqual(['pgdata']);
  });

  it('refuses a stateful service with a routed port or the app image, saying what to write', () => {
    const routed = withDb.replace(
      '    image: registry.test/postgres:15',
      '    image: registry.test/postgres:15\n    ports: ["${SLIPWAY_PORT_DB}:5432"]',
    );
    expect(() => pin(routed)).toThrow(
      /service db is stateful \(mounts the named volume pgdata.*publishes \$\{SLIPWAY_PORT_DB\}, a routed port that alternates.*stateful: \{ db: false \}/,
    );
    expect(() => pin(withDb, { ...WEB, marks: { web: { keep: 5 } } })).toThrow(
      /service web is stateful \(marked stateful by the deploy step\) but runs \$\{SLIPWAY_IMAGE\}/,
    );
  });
});
