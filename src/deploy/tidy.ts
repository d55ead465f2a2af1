import * as files from '../remote/commands/files.ts';
import type { Transport } from '../remote/transport.ts';
import { errorMessage } from '../util/errors.ts';
import * as cmd from './commands.ts';
import { composeProjects, type HostDocker, pruneImages, removeProject } from './host-docker.ts';
import { appPaths, releasePaths } from './layout.ts';
import { parseReleaseMarker } from './release.ts';
import { isReleaseId, releaseOfProject } from './release-id.ts';

/** What tidying after a release needs; its failures are warnings in the log, never a rollback. */
export interface TidyTarget {
  transport: Transport;
  engine: HostDocker;
  app: string;
  root: string;
  repository: string;
  log(line: string, stream?: 'stdout' | 'stderr'): void;
}

/**
 * Stops and removes the containers of every release of the app but the live one: the release it replaced,
 * and any that an attempt interrupted by a dead runner left running (which may still hold a port).
 */
export async function stopOtherReleases(t: TidyTarget, live: string): Promise<void> {
  let others: string[];
  try {
    others = (await composeProjects(t.engine.api)).filter(
      (p) => p !== live && releaseOfProject(t.app, p) !== undefined,
    );
  } catch (err) {
    t.log(`could not list the releases running: ${errorMessage(err)}`, 'stderr');
    return;
  }
  await Promise.all(
    others.map(async (project) => {
      try {
        await removeProject(t.engine.api, project, 10);
        t.log(`stopped release ${releaseOfProject(t.app, project)}`);
      } catch (err) {
        t.log(`could not stop ${project}: ${errorMessage(err)}`, 'stderr');
      }
    }),
  );
}

/** Keeps the newest `keep` releases (always the live one), removes the rest and the images only they used. */
export async function keepReleases(t: TidyTarget, keep: number, live: string): Promise<void> {
  const ids = (await t.transport.exec(cmd.listDir(appPaths(t.app, t.root).releases))).stdout
    .split('\n')
    .filter(isReleaseId)
    .sort();
  const kept = new Set([...ids.slice(-keep), live]);
  const keptDigests = new Set<string>();
  const gone: { id: string; digest?: string }[] = [];
  const markers = await Promise.all(
    ids.map(async (id) =>
      parseReleaseMarker((await t.transport.exec(files.cat(releasePaths(t.app, id, t.root).marker))).stdout),
    ),
  );
  for (const [i, id] of ids.entries()) {
    const marker = markers[i];
    if (kept.has(id)) {
      if (marker) keptDigests.add(marker.digest);
    } else gone.push({ id, ...(marker ? { digest: marker.digest } : {}) });
  }
  await Promise.all(gone.map((g) => t.transport.exec(files.rmTree(releasePaths(t.app, g.id, t.root).dir))));
  for (const g of gone) t.log(`removed old release ${g.id}`);
  const unused = [
    ...new Set(gone.flatMap((g) => (g.digest && !keptDigests.has(g.digest) ? [g.digest] : []))),
  ];
  await pruneImages(
    t.engine.api,
    unused.map((digest) => `${t.repository}@${digest}`),
  ).catch((err: Error) => t.log(`could not prune images: ${err.message}`, 'stderr'));
}
