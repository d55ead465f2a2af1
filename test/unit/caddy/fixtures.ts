import { type Sites, sites } from '../../../src/config/schema/sites.ts';

/** A sites.yml with every route type, two domains on different groups and one limited to prod. */
export function exampleSites(issuer: 'acme' | 'internal' = 'acme'): Sites {
  return sites.parse({
    tls: { email: 'ops@example.com', issuer },
    sites: {
      'www.example.com': {
        hosts: 'web',
        routes: [
          { static: { root: '/srv/www', spa: true } },
          { path: '/api', proxy: { app: 'shop', service: 'api' } },
          { path: '/old', redirect: { to: 'https://new.example.com/', status: 301 } },
          { path: '/ping', custom: { handler: 'static_response', body: 'pong' } },
          { path: '/docs', static: { root: '/srv/docs' } },
        ],
      },
      'status.example.com': { routes: [{ proxy: { upstreams: ['127.0.0.1:9000'], health_path: '/up' } }] },
      'prod-only.example.com': {
        environments: ['prod'],
        routes: [{ redirect: { to: 'https://www.example.com/' } }],
      },
    },
  });
}
