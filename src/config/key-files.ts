import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readConfigText, statOrUndefined } from './file-read.ts';
import { looksLikePrivateKey, parsePublicKey } from './ssh-public-key.ts';
import type { ConfigError, PublicKey } from './types.ts';

/**
 * Public keys of a directory (infra/ssh-keys/), one `NAME.pub` file per key, named NAME. Any file
 * holding private key material is reported loudly, without echoing it. `shown` prefixes messages.
 */
export function loadKeyFiles(dir: string, shown: string, errors: ConfigError[]): Map<string, PublicKey> {
  const keys = new Map<string, PublicKey>();
  if (!existsSync(dir)) return keys;
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    const file = `${shown}/${name}`;
    if (statOrUndefined(abs)?.isDirectory()) continue;
    const { text, error } = readConfigText(abs, file);
    if (error || text === undefined) {
      if (error) errors.push(error);
      continue;
    }
    if (looksLikePrivateKey(text)) {
      errors.push({
        file,
        line: 1,
        col: 1,
        key: '',
        message: 'PRIVATE KEY COMMITTED: this file holds private key material (not shown)',
        hint: 'delete it, purge it from the Git history, rotate the key, and commit only the .pub file',
      });
      continue;
    }
    if (!name.endsWith('.pub')) continue;
    const lines = text.split('\n').map((l, i) => [l.trim(), i + 1] as const);
    const keyLines = lines.filter(([l]) => l && !l.startsWith('#'));
    const first = keyLines[0];
    if (!first) {
      errors.push({
        file,
        line: 1,
        col: 1,
        key: '',
        message: 'the key file is empty',
        hint: 'paste one OpenSSH public key line',
      });
      continue;
    }
    if (keyLines.length > 1) {
      errors.push({
        file,
        line: keyLines[1]![1],
        col: 1,
        key: '',
        message: 'more than one key in this file',
        hint: 'put each key in its own .pub file',
      });
      continue;
    }
    const keyName = name.slice(0, -'.pub'.length);
    const { key, problem } = parsePublicKey(keyName, first[0]);
    if (problem)
      errors.push({ file, line: first[1], col: 1, key: '', message: problem[0], hint: problem[1] });
    else if (key) keys.set(keyName, key);
  }
  return keys;
}
