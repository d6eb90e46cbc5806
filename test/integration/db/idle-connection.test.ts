import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import { rig } from '../../../harness/rig.js';

describe('a pooled connection the server closes while idle', () => {
  const app = `nocturne-idle-${randomBytes(4).toString('hex')}`;
  const closed: Error[] = [];
  const db = openDb({ url: rig().pgUrl, schema: 'public', poolSize: 2, applicationName: app, onIdleError: (err) => closed.push(err) });
  const admin = openDb({ url: rig().pgUrl, schema: 'public', poolSize: 1 });
  afterAll(async () => {
    await closeDb(db);
    await closeDb(admin);
  });

  // A PostgreSQL restart does this to every idle connection; unheard, the pool's 'error' event kills the process.
  it('is reported, not thrown, and the next query opens a fresh one', async () => {
    await db.one('SELECT 1 AS ok');
    const terminated = await admin.any('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
    expect(terminated).toHaveLength(1);
    await expect.poll(() => closed.length).toBe(1);
    expect(closed[0]!.message).toMatch(/terminating connection/);
    expect(await db.one('SELECT 2 AS ok')).toEqual({ ok: 2 });
  });

  // pg-promise drops its own pool listener as soon as the pool starts ending, while the
  // clients' sockets are still closing: a server stopped then (the demo's, on Ctrl-C) killed the process.
  it('is still heard after the pool was closed', async () => {
    const late: Error[] = [];
    const closing = openDb({ url: rig().pgUrl, schema: 'public', poolSize: 1, onIdleError: (err) => late.push(err) });
    await closing.one('SELECT 1 AS ok');
    await closeDb(closing);
    closing.$pool.emit('error', new Error('terminating connection due to administrator command'));
    expect(late.map((e) => e.message)).toEqual(['terminating connection due to administrator command']);
  });
});
