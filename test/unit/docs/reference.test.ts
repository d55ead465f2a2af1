import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../../src/config/json-schemas.ts';
import { releaseVariables } from '../../../src/deploy/release-env.ts';
import { PORT_OF_SERVICE, RELEASE_VARIABLES, referenceDocs } from '../../../src/docs/reference.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

/** Every `.ts` file under src/, recursively. */
function sources(dir = join(REPO, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('generated reference docs', () => {
  it('docs/ holds exactly what node scripts/docs.ts generates from the schemas', () => {
    for (const [file, text] of Object.entries(referenceDocs())) {
      expect(readFileSync(join(REPO, 'docs', file), 'utf8'), `docs/${file}: run node scripts/docs.ts`).toBe(
        text,
      );
    }
  });

  it('describes every variable a release .env carries, and nothing else', () => {
    const vars = releaseVariables(
      { APP_MODE: 'x' },
      { shop_api_key: 's' },
      {
        app: 'web',
        environment: 'dev',
        host: 'dev1',
        release: 'r',
        digestRef: 'r@sha256:0',
        ports: { web: 1, 'api-v2': 2 },
        volume: '/v',
        releaseDir: '/d',
        routes: [],
      },
    );
    const generated = Object.keys(vars).filter((n) => n.startsWith('SLIPWAY_'));
    const documented = (n: string) =>
      n in RELEASE_VARIABLES ||
      (n.startsWith(PORT_OF_SERVICE.replace('<SERVICE>', '')) && n !== 'SLIPWAY_PORT');
    expect(generated.filter((n) => !documented(n))).toEqual([]);
    const described = Object.keys(RELEASE_VARIABLES).filter((n) => n !== PORT_OF_SERVICE);
    expect(described.filter((n) => !generated.includes(n))).toEqual([]);
  });

  it('vars.schema.json describes every inventory variable the source reads, and still allows any other', () => {
    const props = jsonSchemas()['vars.schema.json']!['properties'] as Record<
      string,
      { description?: string }
    >;
    // Reads look like vars['name'], v['name'] or vars.name on a host's resolved vars.
    const read = new Set<string>();
    for (const file of sources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(?:vars|v)(?:\[['"]([a-z_]+)['"]\]|\.(ansible_[a-z_]+))/g))
        read.add(m[1] ?? m[2]!);
    }
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((n) => !props[n]?.description).sort()).toEqual([]);
    expect(jsonSchemas()['vars.schema.json']!['additionalProperties']).toEqual({});
  });
});
