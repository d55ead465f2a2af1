import { Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import {
  APP_IMAGE_VARIABLE,
  type ServiceRole,
  type StatefulMark,
  serviceRoles,
  statefulProblems,
} from '../config/stateful-services.ts';
import { portVariable } from './env-file.ts';
import { sharedNetwork, volumeName } from './stable-names.ts';

/** The variable an app's compose file names its image with; Slipway replaces it by the digest. */
export const IMAGE_VARIABLE = APP_IMAGE_VARIABLE;

/** The key of the shared network in the compose files Slipway writes. */
export const SHARED_NETWORK_KEY = 'slipway-shared';

/** Who the compose file is pinned for: the stable names depend on the app and its environment. */
export interface ComposeTarget {
  app: string;
  environment: string;
  /** The deploy step's `stateful:` marks. */
  marks: Readonly<Record<string, StatefulMark>>;
}

/** A named volume of the app: its compose name, the Docker volume it stands for, how to create it. */
export interface StableVolume {
  volume: string;
  name: string;
  driver?: string;
  driverOpts?: Record<string, string>;
}

/** A compose file made ready for one release. */
export interface PinnedCompose {
  /** The release's compose file: the stateless services, started beside the live release. */
  text: string;
  /** Stateless service names, in file order. */
  services: string[];
  /** Services that use the app's image. */
  appServices: string[];
  /** Services whose host port the file asks for through `${SLIPWAY_PORT_<SERVICE>}` (or `${SLIPWAY_PORT}`: the first app service). */
  portServices: string[];
  /** The stateful services' compose file (their stable project), when the app has any. */
  stateful?: { text: string; services: string[]; definitions: Record<string, string> };
  /** The app's named volumes (Slipway-managed, external to both projects). */
  volumes: StableVolume[];
  /** The network stateless and stateful services share, when the app has stateful services. */
  network?: string;
  /** Images of the services that do not run the app image (pulled with the app's, never built). */
  otherImages: string[];
}

const IMAGE_REF = new RegExp(`^\\$\\{?${IMAGE_VARIABLE}\\}?$`);

// Refuses what hosts cannot run and pins the app image: parses the services once.
function checkedServices(source: string, file: string, digestRef: string) {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const services = doc.get('services');
  if (!isMap(services) || services.items.length === 0) throw new Error(`${file}: no services`);
  const appServices: string[] = [];
  const otherImages = new Set<string>();
  for (const item of services.items) {
    const name = isScalar(item.key) ? String(item.key.value) : '';
    const svc = item.value;
    if (!name || !isMap(svc)) throw new Error(`${file}: service ${name || '?'} is not a mapping`);
    if (svc.has('build'))
      throw new Error(`${file}: service ${name} has build:, but hosts only run the pipeline's image`);
    const image = svc.get('image');
    if (typeof image === 'string' && IMAGE_REF.test(image.trim())) {
      svc.set('image', digestRef);
      appServices.push(name);
    } else if (typeof image === 'string' && image.trim()) otherImages.add(image.trim());
  }
  if (appServices.length === 0) {
    throw new Error(`${file}: no service has image: \${${IMAGE_VARIABLE}}, so the built image would not run`);
  }
  return { doc, services, appServices, otherImages: [...otherImages] };
}

// Top-level named volumes become external volumes under their stable names (Slipway creates them), so
// no project creates, names after a release, or removes them; a volume already external stays the user's.
function stableVolumes(doc: Document, target: ComposeTarget): StableVolume[] {
  const volumes = doc.get('volumes');
  if (!isMap(volumes)) return [];
  const out: StableVolume[] = [];
  for (const item of volumes.items) {
    const volume = isScalar(item.key) ? String(item.key.value) : '';
    const spec = isMap(item.value) ? item.value : undefined;
    if (!volume || spec?.get('external')) continue;
    const name = volumeName(target.app, target.environment, volume);
    const driver = spec?.get('driver');
    const opts = spec?.get('driver_opts');
    out.push({
      volume,
      name,
      ...(typeof driver === 'string' ? { driver } : {}),
      ...(isMap(opts) ? { driverOpts: opts.toJSON() as Record<string, string> } : {}),
    });
    volumes.set(volume, doc.createNode({ external: true, name }));
  }
  return out;
}

// Puts a service on the shared network too (a service on `network_mode` keeps it: it has no networks).
function joinShared(svc: YAMLMap): void {
  if (svc.has('network_mode')) return;
  const nets = svc.get('networks', true);
  if (isSeq(nets)) nets.add(SHARED_NETWORK_KEY);
  else if (isMap(nets)) nets.set(SHARED_NETWORK_KEY, null);
  else svc.set('networks', ['default', SHARED_NETWORK_KEY]);
}

// A stateless service may wait for a stateful one: that one is up before the release starts.
function dropStatefulDependencies(svc: YAMLMap, stateful: ReadonlySet<string>): void {
  const deps = svc.get('depends_on', true);
  if (isSeq(deps)) deps.items = deps.items.filter((d) => !(isScalar(d) && stateful.has(String(d.value))));
  else if (isMap(deps))
    deps.items = deps.items.filter((d) => !(isScalar(d.key) && stateful.has(String(d.key.value))));
  if ((isSeq(deps) || isMap(deps)) && deps.items.length === 0) svc.delete('depends_on');
}

// The document with only the services named in `keep`.
function onlyServices(doc: Document, keep: ReadonlySet<string>): Document {
  const copy = doc.clone();
  const services = copy.get('services') as YAMLMap;
  services.items = services.items.filter((i) => isScalar(i.key) && keep.has(String(i.key.value)));
  return copy;
}

/**
 * Pins a compose file to an image digest and splits it by role. Every service whose `image:` is
 * `${SLIPWAY_IMAGE}` gets `<repository>@sha256:...` written in, so the file on the host says exactly what
 * runs; services with `build:` are refused (hosts run what passed the pipeline). Named volumes get names
 * stable per app and environment; stateful services go to a file of their own, on a network they share
 * with the release's services, which reach them by service name.
 */
export function pinCompose(
  source: string,
  digestRef: string,
  file: string,
  target: ComposeTarget,
): PinnedCompose {
  const problems = statefulProblems(source, target.marks, file);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const { doc, services, appServices, otherImages } = checkedServices(source, file, digestRef);
  const roles: ServiceRole[] = serviceRoles(source, target.marks);
  const statefulNames = new Set(roles.filter((r) => r.stateful).map((r) => r.name));
  const volumes = stableVolumes(doc, target);
  const names = roles.map((r) => r.name).filter((n) => !statefulNames.has(n));
  const portServices = names.filter((n) => source.includes(portVariable(n)));
  if (/\$\{?SLIPWAY_PORT\}?(?![A-Za-z0-9_])/.test(source) && !portServices.includes(appServices[0]!)) {
    portServices.unshift(appServices[0]!);
  }
  const base = { appServices, portServices, volumes, otherImages };
  if (statefulNames.size === 0) return { ...base, text: doc.toString(), services: names };
  const network = sharedNetwork(target.app, target.environment);
  for (const item of services.items) {
    const svc = item.value as YAMLMap;
    joinShared(svc);
    if (!statefulNames.has(String((item.key as { value: unknown }).value)))
      dropStatefulDependencies(svc, statefulNames);
  }
  const nets = doc.get('networks');
  const shared = doc.createNode({ external: true, name: network });
  if (isMap(nets)) nets.set(SHARED_NETWORK_KEY, shared);
  else doc.set('networks', doc.createNode({ [SHARED_NETWORK_KEY]: { external: true, name: network } }));
  const statefulDoc = onlyServices(doc, statefulNames);
  const definitions: Record<string, string> = {};
  for (const name of statefulNames) {
    definitions[name] = new Document(statefulDoc.getIn(['services', name])).toString();
  }
  return {
    ...base,
    text: onlyServices(doc, new Set(names)).toString(),
    services: names,
    stateful: { text: statefulDoc.toString(), services: [...statefulNames], definitions },
    network,
  };
}
