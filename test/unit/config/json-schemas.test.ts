import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../../src/config/json-schemas.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(n) ? [p] : [];
  });
}

describe('JSON schemas for editors', () => {
  it('the committed schemas/ match the zod schemas (run `slipway schema` after changing them)', () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(readFileSync(join(REPO, 'schemas', file), 'utf8'));
      expect(committed, file).toEqual(schema);
    }
  });

  it('every sample ops-repo YAML file names an existing schema on its first line', () => {
    const files = [
      join(REPO, 'slipway.yml'),
      ...['pipelines', 'inventories', 'infra'].flatMap((d) => yamlFiles(join(REPO, d))),
    ];
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const first = readFileSync(file, 'utf8').split('\n')[0]!;
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(m, relative(REPO, file)).not.toBeNull();
      expect(existsSync(resolve(dirname(file), m![1]!)), `${relative(REPO, file)} -> ${m![1]}`).toBe(true);
    }
  });
});
