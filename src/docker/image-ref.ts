/** An image repository split into the registry host and the path inside it. */
export interface ImageRepository {
  /** `registry.example.com:5000`; `docker.io` when the name has no registry part. */
  registry: string;
  /** `acme/web` */
  path: string;
  /** The repository as written, e.g. `registry.example.com:5000/acme/web`. */
  name: string;
}

/** Splits `host[:port]/path` the way docker does: the first segment is a registry if it has `.`, `:` or is localhost. */
export function parseRepository(name: string): ImageRepository {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first, path: name.slice(slash + 1), name };
  }
  return { registry: 'docker.io', path: slash === -1 ? `library/${name}` : name, name };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** True for a content digest like `sha256:<64 hex>`. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** `<repository>@sha256:...`: the immutable reference every deploy uses. */
export function digestReference(repository: string, digest: string): string {
  if (!isDigest(digest)) throw new Error(`not an image digest: ${digest}`);
  return `${repository}@${digest}`;
}

/** Splits `<repository>@sha256:...` back into its parts. */
export function parseDigestReference(ref: string): { repository: string; digest: string } {
  const at = ref.lastIndexOf('@');
  const digest = ref.slice(at + 1);
  if (at <= 0 || !isDigest(digest)) throw new Error(`not a digest reference (<image>@sha256:...): ${ref}`);
  return { repository: ref.slice(0, at), digest };
}

/**
 * OCI annotation labels for a build: where the source is, which commit, and when that commit was made
 * (never the build's own time: two builds of one commit must not differ by a label).
 */
export function ociLabels(opts: {
  revision: string;
  source?: string;
  created?: Date;
}): Record<string, string> {
  const labels: Record<string, string> = { 'org.opencontainers.image.revision': opts.revision };
  if (opts.created) labels['org.opencontainers.image.created'] = opts.created.toISOString();
  if (opts.source) labels['org.opencontainers.image.source'] = opts.source;
  return labels;
}
