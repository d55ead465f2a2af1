import { lstatSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import { type PackOptions, pack } from 'tar-fs';

// The package's types declare an ES default export, but it ships `module.exports = factory`.
const ignore = dockerignore as unknown as typeof dockerignore.default;

/** Reads `<context>/.dockerignore` into a matcher, or undefined when there is none. */
function readDockerignore(
  context: string,
): { ignores(path: string): boolean; hasExceptions: boolean } | undefined {
  let text: string;
  try {
    text = readFileSync(join(context, '.dockerignore'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const ig = ignore().add(lines);
  return { ignores: (p) => ig.ignores(p), hasExceptions: lines.some((l) => l.trimStart().startsWith('!')) };
}

/** The Dockerfile's path relative to the context, refusing one outside it (the daemon only sees the context). */
export function dockerfileInContext(context: string, dockerfile: string | undefined): string {
  if (dockerfile === undefined) return 'Dockerfile';
  const abs = isAbsolute(dockerfile) ? dockerfile : resolve(context, dockerfile);
  const rel = relative(resolve(context), abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`the Dockerfile ${dockerfile} must lie inside the build context ${context}`);
  }
  return rel.split(sep).join('/');
}

/**
 * A tar stream of a build context that leaves out what `.dockerignore` excludes, as the docker CLI does:
 * the Dockerfile and .dockerignore are always sent, and an excluded directory is still walked when an
 * exception (`!pattern`) might re-include something below it.
 */
export function buildContext(context: string, dockerfile = 'Dockerfile'): Readable {
  const root = resolve(context);
  const rules = readDockerignore(root);
  const alwaysSent = new Set([dockerfile, '.dockerignore']);
  const options = {
    // Sorted entries keep the context byte-identical between runs, so the build cache holds.
    sort: true,
    ignore(abs: string) {
      if (!rules) return false;
      const rel = relative(root, abs).split(sep).join('/');
      if (alwaysSent.has(rel) || !rules.ignores(rel)) return false;
      if (rules.hasExceptions && lstatSync(abs).isDirectory()) return false;
      return true;
    },
  };
  return pack(root, options as PackOptions) as unknown as Readable;
}
