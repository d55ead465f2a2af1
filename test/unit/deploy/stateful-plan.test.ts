// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import {
  definitionChange,
  interpolate,
  parseStatefulState,
  type StatefulWanted,
  statefulChanges,
  statefulDefinition,
} from '../../../src/deploy/stateful-plan.ts';

const DB = [
  'image: ${PG_IMAGE}',
  'environment:',
  '  POSTGRES_PASSWORD: ${DB_PASSWORD}',
  'volumes:',
  '  - pgdata:/var/lib/postgresql/data',
  'restart: unless-stopped',
  '',
].join('\n');
const VARS = { PG_IMAGE: 'registry.test/postgres:15', DB_PASSWORD: 'hunter2', UNUSED: 'x' };

describe('statefulDefinition', () => {
  it('hashes the definition with the values it names: others, and repeats, change nothing', () => {
    const a = statefulDefinition(DB, VARS);
    expect(a.image).toBe('registry.test/postgres:15');
    expect(statefulDefinition(DB, { ...VARS, UNUSED: 'y' })).toEqual(a);
    expect(JSON.stringify(a)).not.toContain('hunter2');
  });

  it('says which part changed: an image by its tag, a secret as environment', () => {
    const a = statefulDefinition(DB, VARS);
    const newer = statefulDefinition(DB, { ...VARS, PG_IMAGE: 'registry.test/postgres:16' });
    expect(definitionChange(a, newer)).toBe('image 15 -> 16');
    const password = statefulDefinition(DB, { ...VARS, DB_PASSWORD: 'other' });
    expect(password.hash).not.toBe(a.hash);
    expect(definitionChange(a, password)).toBe('environment');
    const moved = statefulDefinition(DB.replace('unless-stopped', 'always'), VARS);
    expect(definitionChange(a, moved)).toBe('settings');
    const other = statefulDefinition(DB, { ...VARS, PG_IMAGE: 'mirror.test/pg:15' });
    expect(definitionChange(a, other)).toBe('image registry.test/postgres:15 -> mirror.test/pg:15');
  });
});

describe('interpolate', () => {
  it('replaces variables as compose does, defaults and $$ included', () => {
    expect(interpolate('${A}/${B:-b}/${C-c}/$A/$$A', { A: 'a', C: '' })).toBe('a/b//a/$A');
  });
});

describe('statefulChanges', () => {
  const def = statefulDefinition(DB, VARS);
  const want: StatefulWanted = {
    app: 'notes',
    services: { db: statefulDefinition(DB, { ...VARS, PG_IMAGE: 'registry.test/postgres:16' }) },
    volumes: ['slipway_notes_prod_pgdata'],
    backedUp: new Set(['db']),
  };

  it('puts a first start, a change and a removal each on a line of its own, and reports dropped volumes', () => {
    expect(statefulChanges('web1', want, undefined)).toEqual([
      {
        host: 'web1',
        action: 'add',
        subject: 'app notes stateful service db',
        detail: 'db: start (runs once on this host)',
      },
    ]);
    const live = {
      services: { db: def, cache: def },
      volumes: ['slipway_notes_prod_pgdata', 'slipway_notes_prod_old'],
    };
    expect(statefulChanges('web1', want, live)).toEqual([
      {
        host: 'web1',
        action: 'change',
        subject: 'app notes stateful service db',
        detail: 'db: image 15 -> 16, restart (down while it restarts); backup first',
      },
      {
        host: 'web1',
        action: 'remove',
        subject: 'app notes stateful service cache',
        detail:
          'cache: no longer in the compose file: stopped after the release goes live; its volumes are kept',
      },
      {
        host: 'web1',
        action: 'change',
        subject: 'app notes volume slipway_notes_prod_old',
        detail:
          'volume slipway_notes_prod_old: no longer in the compose file: kept with its data, never deleted by Slipway ' +
          '(`docker volume rm slipway_notes_prod_old` deletes it)',
      },
    ]);
  });

  it('has nothing to say when the definitions and volumes are what runs', () => {
    expect(statefulChanges('web1', want, { services: want.services, volumes: want.volumes })).toEqual([]);
  });

  it('reads a marker back, and refuses what is not one', () => {
    const text = JSON.stringify({ services: want.services, volumes: want.volumes });
    expect(parseStatefulState(text)).toEqual({ services: want.services, volumes: want.volumes });
    expect(parseStatefulState('{"services": 1}')).toBeUndefined();
    expect(parseStatefulState('not json')).toBeUndefined();
  });
});
