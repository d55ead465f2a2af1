// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { sites as sitesSchema } from '../../../src/config/schema/sites.ts';
import { batches } from '../../../src/deploy/batches.ts';
import { pinCompose } from '../../../src/deploy/compose-file.ts';
import { renderEnvFile } from '../../../src/deploy/env-file.ts';
import { allocatePorts, parseListeningPorts } from '../../../src/deploy/ports.ts';
import {
  configHash,
  parseReleaseMarker,
  type ReleaseRecord,
  releaseChange,
} from '../../../src/deploy/release.ts';
import { releaseVariables } from '../../../src/deploy/release-env.ts';
import { composeProject, isReleaseId, newReleaseId } from '../../../src/deploy/release-id.ts';
import { appRoutes } from '../../../src/deploy/routes.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const REF = `10.207.0.1:5000/acme/web@${DIGEST}`;

describe('batches', () => {
  const hosts = ['a', 'b', 'c', 'd', 'e'];
  it('splits by count and by percentage (rounded up)', () => {
    expect(batches(hosts, 1)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(batches(hosts, 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(batches(hosts, '50%')).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(batches(hosts, '100%')).toEqual([hosts]);
    expect(batches(hosts, '1%')).toHaveLength(5);
    expect(batches([], '50%')).toEqual([]);
  });
  it('refuses sizes that make no batch', () => {
    expect(() => batches(hosts, 0)).toThrow(/positive/);
    expect(() => batches(hosts, '0%')).toThrow(/1%..100%/);
    expect(() => batches(hosts, '150%')).toThrow(/1%..100%/);
  });
});

describe('release ids and compose projects', () => {
  it('sort in time order and name a compose project', () => {
    const id = newReleaseId(new Date('2026-11-24T04:08:05.123Z'), 'ABCDEF0123456789');
    expect(id).toBe('20261124-040805-abcdef0');
    expect(isReleaseId(id)).toBe(true);
    expect(isReleaseId('../etc')).toBe(false);
    expect(composeProject('Web.App', id)).toBe('web-app-20261124-040805-abcdef0');
  });
});

describe('ports', () => {
  it('reads listening ports from ss output', () => {
    const out =
      'LISTEN 0 4096 127.0.0.1:20001 0.0.0.0:*\nLISTEN 0 128 [::]:22 [::]:*\nLISTEN 0 4096 *:80 *:*\n';
    expect([...parseListeningPorts(out)].sort((a, b) => a - b)).toEqual([22, 80, 20001]);
  });

  it('gives a new service a free pair and the first slot', () => {
    const a = allocatePorts({
      services: ['web', 'api'],
      existing: {},
      listening: new Set([20000, 20002]),
      reserved: new Set([20003]),
    });
    expect(a.pairs).toEqual({ web: [20001, 20004], api: [20005, 20006] });
    expect(a.ports).toEqual({ web: 20001, api: 20005 });
  });

  it('alternates between the two stable ports of a pair across releases', () => {
    const existing = { web: [20001, 20004] as [number, number] };
    const second = allocatePorts({
      services: ['web'],
      existing,
      live: { web: 20001 },
      listening: new Set([20001]),
      reserved: new Set(),
    });
    expect(second.ports.web).toBe(20004);
    expect(second.pairs).toEqual(existing);
    const third = allocatePorts({
      services: ['web'],
      existing,
      live: { web: 20004 },
      listening: new Set([20004]),
      reserved: new Set(),
    });
    expect(third.ports.web).toBe(20001);
  });

  it('moves a slot that someone else took', () => {
    const a = allocatePorts({
      services: ['web'],
      existing: { web: [20001, 20004] },
      live: { web: 20001 },
      listening: new Set([20001, 20004]),
      reserved: new Set(),
    });
    expect(a.ports.web).toBe(20000);
    expect(a.pairs.web).toEqual([20001, 20000]);
  });
});

describe('.env rendering', () => {
  it('sorts, quotes what needs quoting and refuses what .env cannot hold', () => {
    expect(renderEnvFile({ B: 'x y', A: 'plain-1.2:3', C: "it's", D: '$HOME' })).toBe(
      `# Written by Slipway for this release; mode 0600.\nA=plain-1.2:3\nB='x y'\nC="it's"\nD='$HOME'\n`,
    );
    expect(() => renderEnvFile({ A: 'a\nb' })).toThrow(/line break/);
    expect(() => renderEnvFile({ A: `'$` })).toThrow(/both/);
    expect(() => renderEnvFile({ 'A-B': 'x' })).toThrow(/invalid variable name/);
  });
});

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

describe('routes and generated variables', () => {
  const sites = sitesSchema.parse({
    tls: { issuer: 'internal' },
    sites: {
      'web.dev.test': { environments: ['dev'], routes: [{ path: '/', proxy: { app: 'web' } }] },
      'www.test': {
        hosts: 'web',
        routes: [
          { path: '/api', proxy: { app: 'web', service: 'api' } },
          { path: '/', static: { root: '/srv/www' } },
        ],
      },
      'other.test': { routes: [{ path: '/', proxy: { app: 'other' } }] },
    },
  });

  it("lists the app's routes a host serves, with upstream ids and URLs", () => {
    const routes = appRoutes(sites, 'web', 'dev', { name: 'dev1', groups: ['web'] });
    expect(routes.map((r) => r.url)).toEqual(['http://web.dev.test/', 'http://www.test/api']);
    expect(routes[1]).toMatchObject({ service: 'api', upstreamId: 'upstream:www.test:%2Fapi' });
    expect(appRoutes(sites, 'web', 'prod', { name: 'p1', groups: [] })).toEqual([]);
  });

  it('builds the .env variables and refuses hand-set SLIPWAY_* names', () => {
    const routes = appRoutes(sites, 'web', 'dev', { name: 'dev1', groups: [] });
    const vars = releaseVariables(
      { GREETING: 'hi' },
      { API_TOKEN: 's3cret' },
      {
        app: 'web',
        environment: 'dev',
        host: 'dev1',
        release: 'r1',
        digestRef: REF,
        ports: { web: 20001 },
        volume: '/srv/slipway/apps/web/volume',
        releaseDir: '/srv/slipway/apps/web/releases/r1/files',
        routes,
      },
    );
    expect(vars).toMatchObject({
      GREETING: 'hi',
      API_TOKEN: 's3cret',
      SLIPWAY_IMAGE: REF,
      SLIPWAY_PORT: '20001',
      SLIPWAY_PORT_WEB: '20001',
      SLIPWAY_DOMAIN: 'web.dev.test',
      SLIPWAY_URL: 'http://web.dev.test/',
      SLIPWAY_PATH: '/',
    });
    expect(() => releaseVariables({ SLIPWAY_PORT: '1' }, {}, {} as never)).toThrow(/generated/);
  });
});

describe('release ledger values', () => {
  const inputs = { compose: 'services: {}', env: { A: '1' }, secrets: { S: 'x' }, routes: [] };
  it('hashes configuration deterministically, secrets only through their own hash', () => {
    expect(configHash(inputs)).toBe(configHash({ ...inputs, env: { A: '1' } }));
    expect(configHash(inputs)).not.toBe(configHash({ ...inputs, secrets: { S: 'y' } }));
    expect(configHash(inputs)).not.toContain('x');
  });

  it('plans no change for the same digest and config, and says what differs otherwise', () => {
    const hash = configHash(inputs);
    const current = parseReleaseMarker(
      JSON.stringify({ app: 'web', release: 'r1', digest: DIGEST, configHash: hash, project: 'web-r1' }),
    ) as ReleaseRecord;
    const desired = { image: '10.207.0.1:5000/acme/web', digest: DIGEST, configHash: hash };
    expect(releaseChange('dev1', 'web', current, desired)).toBeUndefined();
    expect(releaseChange('dev1', 'web', undefined, desired)).toMatchObject({ action: 'add', host: 'dev1' });
    const changed = releaseChange('dev1', 'web', current, { ...desired, configHash: 'sha256:ff' });
    expect(changed?.action).toBe('change');
    expect(changed?.detail).toContain('config');
    expect(parseReleaseMarker('not json')).toBeUndefined();
  });
});
