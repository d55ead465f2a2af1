import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/architecture.md's layer diagram is the rule: each src/ folder may import only folders in rows
// below its own. Reading the rows from the page keeps the page and the code from drifting apart.

const ROOT = resolve(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** Imports that cross the layers upward today, each listed under "Known exceptions" on the page. */
const KNOWN_EXCEPTIONS = new Set([
  'config/app-checks.ts -> steps/kinds/index.ts',
  'config/cross-checks.ts -> steps/kinds/index.ts',
  'config/environment-sites.ts -> steps/kinds/index.ts',
  'config/schema/pipeline.ts -> steps/kinds/index.ts',
  'dashboard/mount.ts -> server/router.ts',
  'dashboard/mount.ts -> server/server.ts',
]);

/** Row of each folder in the page's diagram, top (entry points) first. */
function layerRows(): Map<string, number> {
  const page = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const diagram = page.split('## Layers')[1]!.split('```')[1]!;
  const rows = new Map<string, number>();
  // A row is `deploy/  ssh-keys/        app releases...`: the `name/` words before the text.
  const folderRows = diagram.split('\n').flatMap((line) => line.match(/^(?:[a-z-]+\/ +)+/) ?? []);
  folderRows.forEach((folders, row) => {
    for (const folder of folders.match(/[a-z-]+/g)!) rows.set(folder, row);
  });
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every import of one src/ file into another src/ folder, as `from -> to` relative to src/. */
function crossFolderImports(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const to = relative(SRC, resolve(dirname(file), m[1]!));
      if (!to.startsWith('..') && to.split('/')[0] !== from.split('/')[0]) found.push(`${from} -> ${to}`);
    }
  }
  return found;
}

describe('docs/architecture.md layers', () => {
  const rows = layerRows();

  it('place every folder of src/', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.map((f) => f.name).filter((f) => !rows.has(f))).toEqual([]);
  });

  it('hold: imports point to lower rows only, apart from the known exceptions', () => {
    const upward = crossFolderImports().filter((edge) => {
      const [from, to] = edge.split(' -> ').map((p) => p.split('/')[0]!);
      return rows.get(to!)! <= rows.get(from!)! && !KNOWN_EXCEPTIONS.has(edge);
    });
    expect(upward).toEqual([]);
  });

  it('list no exception the code no longer has', () => {
    const edges = new Set(crossFolderImports());
    expect([...KNOWN_EXCEPTIONS].filter((e) => !edges.has(e))).toEqual([]);
  });
});
