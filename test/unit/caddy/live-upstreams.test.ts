import { describe, expect, it } from 'vitest';
import { liveAppUpstreams } from '../../../src/caddy/live-upstreams.ts';
import { renderCaddyConfig } from '../../../src/caddy/render.ts';
import { exampleSites } from './fixtures.ts';

const input = { sites: exampleSites(), environment: 'dev', host: { name: 'web1', groups: ['web'] } };

describe('liveAppUpstreams', () => {
  it('reads back the app upstreams a config was rendered with, not fixed ones', () => {
    const upstreams = new Map([['shop/api', ['127.0.0.1:20001', '127.0.0.1:20002']]]);
    const live = JSON.parse(JSON.stringify(renderCaddyConfig({ ...input, upstreams })));
    expect(liveAppUpstreams(live, input)).toEqual(upstreams);
  });

  it('finds none on a Caddy that has no config yet', () => {
    expect(liveAppUpstreams(null, input)).toEqual(new Map());
  });
});
