import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, slipway } from '../../../support/slipway-cli.ts';

describe('slipway schema', () => {
  it('writes the same schema files that are committed in schemas/', async () => {
    const out = mkdtempSync(join(tmpdir(), 'slipway-schema-'));
    try {
      const r = await slipway(['--repo', REPO, 'schema', '--out', out]);
      expect(r.code).toBe(0);
      const files = readdirSync(out).sort();
      expect(files).toEqual(readdirSync(join(REPO, 'schemas')).sort());
      for (const f of files)
        expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(REPO, 'schemas', f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
