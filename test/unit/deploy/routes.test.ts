// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { sites as sitesSchema } from '../../../src/config/schema/sites.ts';
import { releaseVariables } from '../../../src/deploy/release-env.ts';
import { appRoutes } from '../../../src/deploy/routes.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const REF = `10.207.0.1:5000/acme/web@${DIGEST}`;

describe('routes and generated variables', () => {
  const sites = sitesSchema.parse({
    tls: { issuer: 'internal' },
    sites: {
      'web.dev.test': { environments: ['dev'], routes: [{ path: '/', proxy: { app: 'web' } }] },
      'www.test': {
        hosts: 'web',
        routes: [
          { path: '/api', proxy: { app: 'web', service: 'api' } },
          { path: '/', static: { root: '/srv/www' } },
        ],
      },
      'other.test': { routes: [{ path: '/', proxy: { app: 'other' } }] },
    },
  });

  it("lists the app's routes a host serves, with upstream ids and URLs", () => {
    const routes = appRoutes(sites, 'web', 'dev', { name: 'dev1', groups: ['web'] });
    expect(routes.map((r) => r.url)).toEqual(['http://web.dev.test/', 'http://www.test/api']);
    expect(routes[1]).toMatchObject({ service: 'api', upstreamId: 'upstream:www.test:%2Fapi' });
    expect(appRoutes(sites, 'web', 'prod', { name: 'p1', groups: [] })).toEqual([]);
  });

  it('builds the .env variables and refuses hand-set SLIPWAY_* names', () => {
    const routes = appRoutes(sites, 'web', 'dev', { name: 'dev1', groups: [] });
    const vars = releaseVariables(
      { GREETING: 'hi' },
      { API_TOKEN: 's3cret' },
      {
        app: 'web',
        environment: 'dev',
        host: 'dev1',
        release: 'r1',
        digestRef: REF,
        ports: { web: 20001 },
        volume: '/srv/slipway/apps/web/volume',
        releaseDir: '/srv/slipway/apps/web/releases/r1/files',
        routes,
      },
    );
    expect(vars).toMatchObject({
      GREETING: 'hi',
      API_TOKEN: 's3cret',
      SLIPWAY_IMAGE: REF,
      SLIPWAY_PORT: '20001',
      SLIPWAY_PORT_WEB: '20001',
      SLIPWAY_DOMAIN: 'web.dev.test',
      SLIPWAY_URL: 'http://web.dev.test/',
      SLIPWAY_PATH: '/',
    });
    expect(() => releaseVariables({ SLIPWAY_PORT: '1' }, {}, {} as never)).toThrow(/generated/);
  });
});
