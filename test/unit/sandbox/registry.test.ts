import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { layoutOf } from '../../../src/sandbox/layout.ts';
import { planSandbox } from '../../../src/sandbox/plan.ts';
import { registryConfig, registryFiles, tokenServiceConfig } from '../../../src/sandbox/registry.ts';

const plan = planSandbox('e2e', 3, ['h1']);
const files = registryFiles(layoutOf('/repo/.slipway/sandbox/e2e'));
const dir = '/repo/.slipway/sandbox/e2e/registry';

describe('the sandbox registry config', () => {
  it('uses htpasswd in basic mode', () => {
    expect(parse(registryConfig(plan, files, 's3cret', 'basic')).auth).toEqual({
      htpasswd: { realm: 'slipway-sandbox-e2e', path: `${dir}/htpasswd` },
    });
  });

  it('in token mode trusts tokens of the token service on the gateway, signed by its certificate', () => {
    const config = parse(registryConfig(plan, files, 's3cret', 'token'));
    expect(config.auth).toEqual({
      token: {
        realm: 'https://10.207.3.1:5001/token',
        service: 'slipway-sandbox-e2e',
        issuer: 'slipway-sandbox-e2e-token-service',
        rootcertbundle: `${dir}/token-signing.crt`,
      },
    });
    expect(config.http).toMatchObject({ addr: '10.207.3.1:5000', secret: 's3cret' });
  });

  it('gives the token service the same names, the registry TLS pair and the login file', () => {
    expect(JSON.parse(tokenServiceConfig(plan, files))).toEqual({
      host: '10.207.3.1',
      port: 5001,
      tlsCert: `${dir}/server.crt`,
      tlsKey: `${dir}/server.key`,
      signingKey: `${dir}/token-signing.key`,
      signingCert: `${dir}/token-signing.crt`,
      issuer: 'slipway-sandbox-e2e-token-service',
      service: 'slipway-sandbox-e2e',
      credentials: `${dir}/credentials.json`,
    });
  });
});
