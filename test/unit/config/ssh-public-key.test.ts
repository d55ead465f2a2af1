import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { looksLikePrivateKey, parsePublicKey } from '../../../src/config/ssh-public-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;

function keygen(type: string, bits?: string): { pub: string; priv: string; fingerprint: string } {
  // A fresh file each time: ssh-keygen would otherwise ask whether to overwrite.
  const file = join(dir, `${type}-${serial++}`);
  const args = ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', `${type}@test`, '-f', file];
  execFileSync('ssh-keygen', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], {
    encoding: 'utf8',
    timeout: 20_000,
  }).split(' ')[1]!;
  return { pub: readFileSync(`${file}.pub`, 'utf8'), priv: readFileSync(file, 'utf8'), fingerprint };
}

describe('public keys', () => {
  it.each([
    ['ed25519', undefined],
    ['ecdsa', undefined],
    ['rsa', '2048'],
  ])('parses a real %s key with the fingerprint ssh-keygen prints', (type, bits) => {
    const k = keygen(type, bits);
    const { key, problem } = parsePublicKey('k', k.pub);
    expect(problem).toBeUndefined();
    expect(key?.fingerprint).toBe(k.fingerprint);
    expect(key?.comment).toBe(`${type}@test`);
    expect(looksLikePrivateKey(k.priv)).toBe(true);
    expect(looksLikePrivateKey(k.pub)).toBe(false);
  });

  it('rejects broken key lines without echoing them', () => {
    expect(parsePublicKey('k', 'ssh-ed25519 AAAA!!').problem?.[0]).toBe('the key data is not valid base64');
    expect(parsePublicKey('k', 'ssh-dss AAAA').problem?.[0]).toBe('unsupported key type "ssh-dss"');
    const ed = keygen('ed25519').pub.split(' ')[1]!;
    expect(parsePublicKey('k', `ssh-rsa ${ed}`).problem?.[0]).toBe(
      'the key data does not hold a ssh-rsa key',
    );
  });
});
