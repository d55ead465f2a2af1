import { describe, expect, it } from 'vitest';
import {
  expandHostPattern,
  HostPatternError,
  parseAddress,
} from '../../../../src/config/inventory/host-pattern.ts';

describe('host patterns (as Ansible expands them)', () => {
  it('expands numeric ranges keeping zero padding', () => {
    expect(expandHostPattern('web[01:04].example.com').hostnames).toEqual([
      'web01.example.com',
      'web02.example.com',
      'web03.example.com',
      'web04.example.com',
    ]);
  });

  it('expands alphabetic and stepped ranges, and several ranges in one name', () => {
    expect(expandHostPattern('db-[a:c]').hostnames).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostPattern('r[1:10:4]').hostnames).toEqual(['r1', 'r5', 'r9']);
    expect(expandHostPattern('n[a:b]-[1:2]').hostnames).toEqual(['na-1', 'na-2', 'nb-1', 'nb-2']);
    expect(expandHostPattern('x[:2]').hostnames).toEqual(['x0', 'x1', 'x2']);
  });

  it('splits a port off host names, IPv4 and bracketed IPv6', () => {
    expect(expandHostPattern('gw.example.com:2201')).toEqual({ hostnames: ['gw.example.com'], port: 2201 });
    expect(expandHostPattern('10.0.0.[1:2]:22')).toEqual({ hostnames: ['10.0.0.1', '10.0.0.2'], port: 22 });
    expect(parseAddress('[2001:db8::1]:2222')).toEqual({ host: '2001:db8::1', port: 2222 });
    expect(parseAddress('fe80::1')).toEqual({ host: 'fe80::1' });
  });

  it('keeps a pattern that is not an address as written', () => {
    expect(expandHostPattern('weird_:22')).toEqual({ hostnames: ['weird_:22'] });
  });

  it('refuses ranges Ansible refuses', () => {
    expect(() => expandHostPattern('w[01:9]')).toThrow(HostPatternError);
    expect(() => expandHostPattern('w[1:]')).toThrow('host range must specify end value');
    expect(() => expandHostPattern('w[c:a]')).toThrow('begin <= end');
    expect(() => expandHostPattern('w[1:2:3:4]')).toThrow('begin:end or begin:end:step');
  });
});
