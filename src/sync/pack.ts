import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type PackOptions, pack } from 'tar-fs';
import type { Manifest } from './manifest.ts';

/**
 * A tar stream of exactly the manifest's files under `dir` (symlinks to files followed), each with the
 * manifest's mode and owned by root; the host checks every file against the manifest's hashes after unpacking.
 */
export function packManifest(dir: string, manifest: Manifest): Readable {
  const options: PackOptions = {
    entries: Object.keys(manifest.files),
    dereference: true,
    map(header) {
      const file = manifest.files[header.name];
      if (file) header.mode = file.mode;
      header.uid = 0;
      header.gid = 0;
      return header;
    },
  };
  // tar-fs gives a streamx stream, which child processes do not take as stdin; it is async-iterable.
  return Readable.from(pack(join(dir), options) as unknown as AsyncIterable<Buffer>);
}
