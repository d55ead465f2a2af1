import type { ConfigError } from './types.ts';

/** `path/to/file.yml:LINE:COL: dotted.key: what is wrong; what to write instead`. */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.key ? `${e.key}: ` : ''}${e.message}${e.hint ? `; ${e.hint}` : ''}`;
}

/** An error about a whole file or a place in it that has no key path. */
export function fileError(
  file: string,
  pos: { line: number; col: number },
  message: string,
  hint?: string,
): ConfigError {
  return { file, line: pos.line, col: pos.col, key: '', message, ...(hint ? { hint } : {}) };
}

/** Thrown by resolvers used on their own (e.g. `resolveInventory`): every problem found, positioned. */
export class ConfigErrorList extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map(formatConfigError).join('\n'));
    this.name = 'ConfigErrorList';
    this.errors = errors;
  }
}

/** Orders errors by file, line and column so output is stable across runs. */
export function sortConfigErrors(errors: ConfigError[]): ConfigError[] {
  return [...errors].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}
