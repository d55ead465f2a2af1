import { isMap, isScalar, parseDocument } from 'yaml';
import { portVariable } from './env-file.ts';

/** The variable an app's compose file names its image with; Slipway replaces it by the digest. */
export const IMAGE_VARIABLE = 'SLIPWAY_IMAGE';

/** A compose file made ready for one release. */
export interface PinnedCompose {
  text: string;
  /** Service names, in file order. */
  services: string[];
  /** Services that use the app's image. */
  appServices: string[];
  /** Services whose host port the file asks for through `${SLIPWAY_PORT_<SERVICE>}` (or `${SLIPWAY_PORT}`: the first app service). */
  portServices: string[];
}

const IMAGE_REF = new RegExp(`^\\$\\{?${IMAGE_VARIABLE}\\}?$`);

/**
 * Pins a compose file to an image digest: every service whose `image:` is `${SLIPWAY_IMAGE}` gets
 * `<repository>@sha256:...` written in, so the file on the host says exactly what runs. Services
 * with `build:` are refused: hosts never build, they run what passed the pipeline.
 */
export function pinCompose(source: string, digestRef: string, file = 'compose.yml'): PinnedCompose {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const services = doc.get('services');
  if (!isMap(services) || services.items.length === 0) throw new Error(`${file}: no services`);
  const names: string[] = [];
  const appServices: string[] = [];
  for (const item of services.items) {
    const name = isScalar(item.key) ? String(item.key.value) : '';
    const svc = item.value;
    if (!name || !isMap(svc)) throw new Error(`${file}: service ${name || '?'} is not a mapping`);
    names.push(name);
    if (svc.has('build'))
      throw new Error(`${file}: service ${name} has build:, but hosts only run the pipeline's image`);
    const image = svc.get('image');
    if (typeof image === 'string' && IMAGE_REF.test(image.trim())) {
      svc.set('image', digestRef);
      appServices.push(name);
    }
  }
  if (appServices.length === 0) {
    throw new Error(`${file}: no service has image: \${${IMAGE_VARIABLE}}, so the built image would not run`);
  }
  const portServices = names.filter((n) => source.includes(portVariable(n)));
  if (/\$\{?SLIPWAY_PORT\}?(?![A-Za-z0-9_])/.test(source) && !portServices.includes(appServices[0]!)) {
    portServices.unshift(appServices[0]!);
  }
  return { text: doc.toString(), services: names, appServices, portServices };
}
