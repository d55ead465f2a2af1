// Writes the generated reference documents of docs/ (node scripts/docs.ts), after a schema changed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceDocs } from '../src/docs/reference.ts';

const dir = join(import.meta.dirname, '..', 'docs');
for (const [file, text] of Object.entries(referenceDocs())) {
  writeFileSync(join(dir, file), text);
  process.stdout.write(`wrote docs/${file}\n`);
}
