import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../../src/remote/shell-quote.ts';
import { HOSTILE, PWNED_MARKER } from '../../support/hostile-argv.ts';

describe('shellQuote', () => {
  it('leaves plain words readable', () => {
    expect(shellQuote(['docker', 'pull', '--quiet', 'registry:5000/app@sha256:ab', '/srv/x.yml'])).toBe(
      'docker pull --quiet registry:5000/app@sha256:ab /srv/x.yml',
    );
  });

  it("single-quotes everything else, escaping single quotes as '\\''", () => {
    expect(shellQuote(['echo', "it's", '', 'a b', 'A=1', '$x'])).toBe(`echo 'it'\\''s' '' 'a b' 'A=1' '$x'`);
  });

  it('refuses NUL and empty argv', () => {
    expect(() => shellQuote(['a\0b'])).toThrow(/NUL/);
    expect(() => shellQuote([])).toThrow(/empty/);
  });

  // What sshd does remotely (`$SHELL -c <line>`), done here with every shell a host may log in with.
  for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash', '/bin/busybox']) {
    it(`round-trips hostile argv byte-exact through ${shell}`, async () => {
      const args = shell === '/bin/busybox' ? ['sh', '-c'] : ['-c'];
      const line = shellQuote(['printf', '%s\\0', ...HOSTILE]);
      const r = await execa(shell, [...args, line], { encoding: 'buffer', stripFinalNewline: false });
      expect(Buffer.from(r.stdout).toString('utf8')).toBe(HOSTILE.map((h) => `${h}\0`).join(''));
      expect(existsSync(PWNED_MARKER)).toBe(false);
    });
  }
});
