// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}

import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { namedVolumeOf, serviceRoles, statefulProblems } from '../../../src/config/stateful-services.ts';

const compose = [
  'services:',
  '  web:',
  '    image: ${SLIPWAY_IMAGE}',
  '    volumes: ["uploads:/uploads", "${SLIPWAY_VOLUME}:/data"]',
  '  db:',
  '    image: postgres:15',
  '    volumes: [{ type: volume, source: pgdata, target: /var/lib/postgresql/data }]',
  '  cache:',
  '    image: redis:7',
  '    volumes: ["./conf:/etc/redis", "/tmp"]',
  '  queue:',
  '    image: rabbitmq:3',
  '    volumes: ["mq:/var/lib/rabbitmq"]',
  'volumes: { uploads: {}, pgdata: {}, mq: {} }',
  '',
].join('\n');

describe('serviceRoles', () => {
  it('calls stateful an unmarked service that mounts a named volume and runs an image of its own', () => {
    expect(serviceRoles(compose, {}).map((r) => [r.name, r.stateful, r.why])).toEqual([
      ['web', false, 'runs the app image'],
      ['db', true, 'mounts the named volume pgdata and does not run the app image'],
      ['cache', false, 'mounts no named volume'],
      ['queue', true, 'mounts the named volume mq and does not run the app image'],
    ]);
  });

  it('follows the step: a service listed is stateful, one listed as false is not', () => {
    const roles = serviceRoles(compose, { cache: { keep: 5 }, queue: false });
    expect(roles.filter((r) => r.stateful).map((r) => r.name)).toEqual(['db', 'cache']);
    expect(roles.find((r) => r.name === 'queue')?.why).toBe('marked stateless by the deploy step');
  });

  it('reads named volumes from the short and the long syntax, never binds or anonymous volumes', () => {
    const entry = (yaml: string) => parseDocument(yaml).contents;
    expect(namedVolumeOf('pgdata:/var/lib/postgresql/data:rw')).toBe('pgdata');
    expect(namedVolumeOf(entry('{ type: volume, source: data, target: /d }'))).toBe('data');
    for (const notNamed of ['./conf:/etc', '/srv/x:/x', '${SLIPWAY_VOLUME}:/data', '~/x:/x', '/tmp'])
      expect(namedVolumeOf(notNamed)).toBeUndefined();
    expect(namedVolumeOf(entry('{ type: bind, source: /srv, target: /d }'))).toBeUndefined();
  });
});

describe('statefulProblems', () => {
  it('accepts a database that takes stable values only', () => {
    const ok = compose.replace(
      'image: postgres:15',
      'image: postgres:15\n    environment: { APP: "${SLIPWAY_APP}" }',
    );
    expect(statefulProblems(ok, {}, 'compose.yml')).toEqual([]);
  });

  it('refuses values that change with each release, naming the service, why it is stateful and the way out', () => {
    const perRelease = compose.replace(
      'image: postgres:15',
      'image: postgres:15\n    labels: { r: "$SLIPWAY_RELEASE" }',
    );
    expect(statefulProblems(perRelease, {}, 'compose.yml')).toEqual([
      'compose.yml: service db is stateful (mounts the named volume pgdata and does not run the app image) but uses ' +
        '${SLIPWAY_RELEASE}, which changes with every release, so it would restart each time: remove it, or mark it ' +
        'stateless with stateful: { db: false }',
    ]);
    expect(statefulProblems(perRelease, { db: false }, 'compose.yml')).toEqual([]);
  });
});
