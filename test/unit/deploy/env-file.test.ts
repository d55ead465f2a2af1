// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { renderEnvFile } from '../../../src/deploy/env-file.ts';

describe('.env rendering', () => {
  it('sorts, quotes what needs quoting and refuses what .env cannot hold', () => {
    expect(renderEnvFile({ B: 'x y', A: 'plain-1.2:3', C: "it's", D: '$HOME' })).toBe(
      `# Written by Slipway for this release; mode 0600.\nA=plain-1.2:3\nB='x y'\nC="it's"\nD='$HOME'\n`,
    );
    expect(() => renderEnvFile({ A: 'a\nb' })).toThrow(/line break/);
    expect(() => renderEnvFile({ A: `'$` })).toThrow(/both/);
    expect(() => renderEnvFile({ 'A-B': 'x' })).toThrow(/invalid variable name/);
  });
});
