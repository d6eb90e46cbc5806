import { describe, expect, it } from 'vitest';
import { daemonConfigSchema, isLoopbackListen } from '../../../src/config/schema.js';

const base = { database: { url: 'postgres://nocturne@db/nocturne' } };

describe('the HTTP interface is exposed only with authentication', () => {
  it('tells loopback addresses from the others', () => {
    for (const listen of ['127.0.0.1:9464', '127.3.2.1:80', 'localhost:9464', '[::1]:9464']) {
      expect(isLoopbackListen(listen), listen).toBe(true);
    }
    for (const listen of ['0.0.0.0:9464', '10.0.0.5:9464', 'monitor.obs.example:9464', '127.0.0.1.nip.io:80', '127.999.0.1:9464']) {
      expect(isLoopbackListen(listen), listen).toBe(false);
    }
  });

  it('takes an IPv6 address in brackets, and refuses a port above 65535', () => {
    expect(daemonConfigSchema.parse({ ...base, http: { listen: '[::1]:9464' } }).http.listen).toBe('[::1]:9464');
    const result = daemonConfigSchema.safeParse({ ...base, http: { listen: '127.0.0.1:99999' } });
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['http', 'listen'], message: 'has a port above 65535' })]);
    const brackets = daemonConfigSchema.safeParse({ ...base, http: { listen: '[::::]:9464', enabled: false } });
    expect(brackets.error?.issues).toEqual([
      expect.objectContaining({ path: ['http', 'listen'], message: 'has no IPv6 address in its brackets' }),
    ]);
  });

  it('binds 127.0.0.1 by default', () => {
    expect(daemonConfigSchema.parse(base).http).toEqual({
      listen: '127.0.0.1:9464',
      enabled: true,
      publicNames: [],
      monitor: { nights: 30 },
    });
  });

  it('refuses a non-loopback listen without http.auth, at http.listen', () => {
    const result = daemonConfigSchema.safeParse({ ...base, http: { listen: '0.0.0.0:9464' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['http', 'listen'],
        message: expect.stringMatching(/^0\.0\.0\.0:9464 is not a loopback address: configure http\.auth/),
      }),
    ]);
  });

  it('accepts it with a password hash or a trusted proxy, or with HTTP disabled', () => {
    const password = { user: 'observer', passwordHash: { file: '/etc/nocturne/monitor.hash' } };
    const proxy = { trustedProxy: { userHeader: 'X-Remote-User', secret: { credential: 'proxy-secret' } } };
    expect(daemonConfigSchema.safeParse({ ...base, http: { listen: '0.0.0.0:9464', auth: password } }).success).toBe(true);
    expect(daemonConfigSchema.safeParse({ ...base, http: { listen: '0.0.0.0:9464', auth: proxy } }).success).toBe(true);
    expect(daemonConfigSchema.safeParse({ ...base, http: { listen: '0.0.0.0:9464', enabled: false } }).success).toBe(true);
  });
});
