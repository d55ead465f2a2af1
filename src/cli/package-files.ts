import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The root of the installed package (or of this checkout): src/cli/ and its build dist/cli/ both sit two
 * levels below it, so the files shipped beside them (package.json, templates/, roles/) are found alike.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The `version` of Slipway's package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
