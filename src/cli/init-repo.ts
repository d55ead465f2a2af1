import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { jsonSchemas } from '../config/json-schemas.ts';
import { CliError } from './errors.ts';
import { PACKAGE_ROOT } from './package-files.ts';

/** The files `slipway init` copies, shipped with the package. */
export const INIT_TEMPLATES = join(PACKAGE_ROOT, 'templates', 'init');

/** What to fill in after `slipway init`, in order. */
export const NEXT_STEPS = [
  'slipway.yml: people (your GitHub/Gitea logins and OS accounts), teams and the environment URLs',
  'inventories/dev/hosts.yml, inventories/prod/hosts.yml: your servers and their addresses',
  'infra/ssh-keys/<name>.pub and infra/access.yml: whose keys log in where, as which user',
  'infra/sites.yml: your domains',
  'pipelines/web.yml and apps/web/: your registry (image:, SLIPWAY_REGISTRY_PASSWORD) and your app',
  'git init -b main && git add -A && git commit: the default branch holds the policy of the gates',
  'slipway validate, then slipway plan infra',
] as const;

/** What `slipway init` wrote. */
export interface InitResult {
  dir: string;
  /** Paths relative to `dir`, sorted. */
  files: string[];
}

/** Writes a new ops repository into `dir` (created if missing); refuses a non-empty one, writing nothing. */
export function initRepo(dir: string, templates: string = INIT_TEMPLATES): InitResult {
  requireEmptyDir(dir);
  const files = new Map<string, string | Buffer>();
  for (const path of templateFiles(templates))
    files.set(shippedName(path), readFileSync(join(templates, path)));
  for (const [file, schema] of Object.entries(jsonSchemas())) {
    files.set(join('schemas', file), `${JSON.stringify(schema, null, 2)}\n`);
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    // `wx`: a file that appeared since the check is never overwritten.
    writeFileSync(join(dir, path), content, { flag: 'wx' });
  }
  return { dir, files: [...files.keys()].sort() };
}

/** Throws unless `dir` is missing or an empty directory. */
function requireEmptyDir(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`expected a directory to write the ops repository into, got ${dir}: ${String(err)}`);
  }
  if (entries.length === 0) return;
  const shown = entries.sort().slice(0, 5).join(', ') + (entries.length > 5 ? ', ...' : '');
  throw new CliError(
    `expected an empty or missing directory, got ${dir} with ${entries.length} entries (${shown}); nothing written: ` +
      'pass a new directory, e.g. slipway init ops',
  );
}

/** Every file under `root`, relative to it. */
function templateFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/**
 * A template's name in the new repository: `dot-x` becomes `.x` (npm pack drops or renames some dotfiles,
 * such as .gitignore, so the package ships them without the dot).
 */
export function shippedName(path: string): string {
  return path
    .split('/')
    .map((part) => (part.startsWith('dot-') ? `.${part.slice(4)}` : part))
    .join('/');
}
