import { z } from 'zod';
import { name, port } from './common.ts';

const base = {
  path: z.string().startsWith('/').default('/').describe('Path matched by this route (Caddy path matcher)'),
};

const spa = z.boolean().default(false).describe('Serve /index.html for paths that match no file');

/**
 * Files from a directory on the host (`root`), or the live release of a sync step (`sync: <its to>`, served
 * through its `current` link, so a new release needs no config change); `spa` serves index.html for unknown paths.
 */
export const staticRoute = z.strictObject({
  static: z.union([
    z.strictObject({ root: z.string().startsWith('/'), spa }),
    z.strictObject({ sync: name.describe('The `to:` of a sync step whose live release is served'), spa }),
  ]),
  ...base,
});

const upstream = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: 'expected host:port like 127.0.0.1:8080' });

/** Proxy to an app's service (port allocated at deploy) or to fixed upstreams. */
export const proxyRoute = z.strictObject({
  proxy: z.union([
    z.strictObject({
      app: name,
      service: name.optional(),
      health_path: z.string().startsWith('/').default('/healthz'),
    }),
    z.strictObject({
      upstreams: z.array(upstream).min(1),
      health_path: z.string().startsWith('/').optional(),
    }),
  ]),
  ...base,
});

/** An HTTP redirect to an absolute URL. */
export const redirectRoute = z.strictObject({
  redirect: z.strictObject({
    to: z.url({ protocol: /^https?$/ }),
    status: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)]).default(302),
  }),
  ...base,
});

/** A raw Caddy handler object, passed through as written. */
export const customRoute = z.strictObject({
  custom: z.looseObject({ handler: z.string().min(1) }),
  ...base,
});

/** One route of a domain: static files, a proxy, a redirect or a raw Caddy handler. */
export const route = z.union([staticRoute, proxyRoute, redirectRoute, customRoute]);
export type Route = z.infer<typeof route>;

const domain = z.string().regex(/^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
  message: 'expected a domain name like www.example.com',
});

/** infra/sites.yml: TLS settings and, per domain, its routes and where it is served. */
export const sites = z.strictObject({
  tls: z
    .strictObject({ email: z.email().optional(), issuer: z.enum(['acme', 'internal']).default('acme') })
    .default({ issuer: 'acme' }),
  sites: z.record(
    domain,
    z.strictObject({
      hosts: name.default('all'),
      environments: z.array(name).optional(),
      routes: z.array(route).min(1),
    }),
  ),
});
export type Sites = z.infer<typeof sites>;
export { port };
