// Which compose services of an app hold data (stateful: one container per host, in a stable project)
// and which are replaced with every release (stateless), and the compose files a stateful service may
// not be written as. Pure: the deploy step and `slipway validate` read the same answer.
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';

/** The variable an app's compose file names its image with. */
export const APP_IMAGE_VARIABLE = 'SLIPWAY_IMAGE';

/** How the deploy step marks a service: stateful (with its backup commands) or, with false, stateless. */
export type StatefulMark = false | { backup?: string[]; restore?: string[]; keep: number };

/** One service of the compose file and the part it plays in a release. */
export interface ServiceRole {
  name: string;
  stateful: boolean;
  /** Why it is stateful or stateless, for the plan and the errors. */
  why: string;
  /** Runs `image: ${SLIPWAY_IMAGE}`: the image the pipeline built. */
  appImage: boolean;
  /** Named volumes it mounts (compose names, as in the file's top-level `volumes:`). */
  volumes: string[];
}

// Generated values that differ between releases (or alternate, for ports): a service that runs once
// per host cannot take them, or it would change with every release.
const PER_RELEASE = /\$\{?(SLIPWAY_PORT(?:_[A-Z0-9_]+)?|SLIPWAY_RELEASE|SLIPWAY_RELEASE_DIR|SLIPWAY_IMAGE)\b/;
const IMAGE_REF = new RegExp(`^\\$\\{?${APP_IMAGE_VARIABLE}\\}?$`);

/** The compose name of the named volume a `volumes:` entry mounts; undefined for binds and anonymous volumes. */
export function namedVolumeOf(entry: unknown): string | undefined {
  if (isMap(entry)) {
    const source = entry.get('source');
    return entry.get('type') === 'volume' && typeof source === 'string' && source ? source : undefined;
  }
  const text = isScalar(entry) ? String(entry.value) : typeof entry === 'string' ? entry : '';
  const parts = text.split(':');
  if (parts.length < 2) return undefined;
  const source = parts[0]!;
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source) ? source : undefined;
}

function volumesOf(svc: YAMLMap): string[] {
  const list = svc.get('volumes', true);
  if (!isSeq(list)) return [];
  return [...new Set(list.items.flatMap((e) => namedVolumeOf(e) ?? []))];
}

/**
 * The role of each service of a compose file, in file order: a service the step marks is what it says;
 * an unmarked one is stateful when it mounts a named volume and does not run the app image (a database,
 * a queue), stateless otherwise (the app's image is replaced with every release, so it keeps no state).
 */
export function serviceRoles(source: string, marks: Readonly<Record<string, StatefulMark>>): ServiceRole[] {
  const doc = parseDocument(source);
  const services = doc.errors.length === 0 ? doc.get('services') : undefined;
  if (!isMap(services)) return [];
  return services.items.flatMap((item) => {
    if (!isScalar(item.key) || !isMap(item.value)) return [];
    const name = String(item.key.value);
    const image = item.value.get('image');
    const appImage = typeof image === 'string' && IMAGE_REF.test(image.trim());
    const volumes = volumesOf(item.value);
    const mark = marks[name];
    if (mark !== undefined) {
      const stateful = mark !== false;
      const why = stateful ? 'marked stateful by the deploy step' : 'marked stateless by the deploy step';
      return [{ name, stateful, why, appImage, volumes }];
    }
    const stateful = !appImage && volumes.length > 0;
    const why = stateful
      ? `mounts the named volume ${volumes[0]} and does not run the app image`
      : appImage
        ? 'runs the app image'
        : 'mounts no named volume';
    return [{ name, stateful, why, appImage, volumes }];
  });
}

/**
 * What is wrong with the stateful services of a compose file, as sentences saying what to write: a
 * stateful service may not run the app image nor take a value that changes with each release (its
 * alternating port above all: it runs once per host and is reached by its name instead).
 */
export function statefulProblems(
  source: string,
  marks: Readonly<Record<string, StatefulMark>>,
  file: string,
): string[] {
  const doc = parseDocument(source);
  const services = doc.errors.length === 0 ? doc.get('services') : undefined;
  if (!isMap(services)) return [];
  const problems: string[] = [];
  for (const role of serviceRoles(source, marks)) {
    if (!role.stateful) continue;
    const how = `service ${role.name} is stateful (${role.why})`;
    const optOut = `or mark it stateless with stateful: { ${role.name}: false }`;
    if (role.appImage) {
      problems.push(
        `${file}: ${how} but runs \${${APP_IMAGE_VARIABLE}}, which changes with every release: ` +
          `give it an image of its own (e.g. postgres:15), ${optOut}`,
      );
      continue;
    }
    const text = String(services.get(role.name, true));
    const used = PER_RELEASE.exec(text)?.[1];
    if (!used) continue;
    problems.push(
      used.startsWith('SLIPWAY_PORT')
        ? `${file}: ${how} but publishes \${${used}}, a routed port that alternates between releases: ` +
            `a stateful service runs once per host and the app reaches it by its name (${role.name}); ` +
            `remove the port, ${optOut}`
        : `${file}: ${how} but uses \${${used}}, which changes with every release, so it would restart each ` +
            `time: remove it, ${optOut}`,
    );
  }
  return problems;
}

/** The backup command of a mark (undefined: unmarked, stateless, or no backup command). */
export function backupCommand(mark: StatefulMark | undefined): string[] | undefined {
  return mark ? mark.backup : undefined;
}
