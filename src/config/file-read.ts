import { readFileSync, type Stats, statSync } from 'node:fs';
import { fileError } from './errors.ts';
import type { ConfigError } from './types.ts';

/** Largest config file Slipway reads; anything bigger is generated data, not configuration. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** File status without throwing: undefined for a missing file or a broken symlink. */
export function statOrUndefined(absPath: string): Stats | undefined {
  try {
    return statSync(absPath, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Reads an ops-repo file as text with the size cap; unreadable or oversized files become an error. */
export function readConfigText(absPath: string, file: string): { text?: string; error?: ConfigError } {
  const st = statOrUndefined(absPath);
  if (!st?.isFile()) {
    const what = st ? 'is not a regular file' : 'cannot be read (missing, or a broken symlink)';
    return {
      error: fileError(
        file,
        { line: 1, col: 1 },
        `${file} ${what}`,
        'replace it with a regular file or remove it',
      ),
    };
  }
  if (st.size > MAX_CONFIG_BYTES) {
    return {
      error: fileError(
        file,
        { line: 1, col: 1 },
        `file is ${(st.size / 1024 / 1024).toFixed(1)} MiB, over the 1 MiB limit for configuration files`,
        'split it into smaller files or keep generated data out of the ops repository',
      ),
    };
  }
  try {
    return { text: readFileSync(absPath, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return {
      error: fileError(file, { line: 1, col: 1 }, `cannot read the file (${code})`, 'check its permissions'),
    };
  }
}
