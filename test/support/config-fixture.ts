import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Folder of the broken-config corpus: `_base/` is a valid repo, every other folder overlays it. */
export const CONFIG_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'config');

/** Files of a case folder that describe the case instead of overlaying the repo. */
const CASE_META = new Set(['expected.txt', 'README']);

/** Names of the broken cases, sorted. */
export function configCases(): string[] {
  return readdirSync(CONFIG_FIXTURES)
    .filter((n) => n !== '_base' && statSync(join(CONFIG_FIXTURES, n)).isDirectory())
    .sort();
}

/** A temp copy of `_base` with the case's files laid over it; `cleanup` removes it. */
export function materializeCase(name: string): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `slipway-cfg-${name}-`));
  cpSync(join(CONFIG_FIXTURES, '_base'), root, { recursive: true });
  cpSync(join(CONFIG_FIXTURES, name), root, {
    recursive: true,
    filter: (src) => !CASE_META.has(src.split('/').pop()!),
  });
  if (name === 'huge-file') {
    // 10 MB of valid YAML: generated here so the repository stays small.
    const line = `# ${'x'.repeat(97)}\n`;
    writeFileSync(join(root, 'pipelines', 'big.yml'), line.repeat(100_000));
  }
  if (name === 'deep-nesting')
    writeFileSync(join(root, 'pipelines', 'deep.yml'), `x: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`);
  if (name === 'ansible-playbook-symlink-escapes') {
    mkdirSync(join(root, 'playbooks'));
    symlinkSync('/etc/hostname', join(root, 'playbooks', 'site.yml'));
  }
  if (name === 'sync-source-symlink-escapes') {
    mkdirSync(join(root, 'site'));
    symlinkSync('/etc', join(root, 'site', 'public'));
  }
  if (name === 'broken-symlink-key')
    symlinkSync('/nonexistent/slipway-key.pub', join(root, 'infra', 'ssh-keys', 'gone.pub'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
