import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Heartbeat } from '../../../src/hosts/heartbeat.js';
import { beat, listHosts, registerHost } from '../../../src/hosts/hosts.js';
import { createLogger } from '../../../src/log/logger.js';
import { pidNamespace } from '../../../src/runs/holder.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

describe('the hosts table and the heartbeat', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('hosts');
  });
  afterAll(() => t.drop());
  const info = { name: 'tycho', version: '0.1.0', stages: ['run', 'upload'], schedules: ['sdoss/run'], heartbeatMs: 50 };

  it('registers a daemon with what issue 18 needs to judge it: stages, schedules, pid and pid namespace', async () => {
    await registerHost(t.db, info);
    const [row] = await listHosts(t.db);
    expect(row).toMatchObject({
      name: 'tycho',
      version: '0.1.0',
      stages: ['run', 'upload'],
      schedules: ['sdoss/run'],
      pid: process.pid,
      holder: pidNamespace(),
      heartbeat_ms: 50,
      stopped_at: null,
    });
    expect(await beat(t.db, 'tycho', ['sdoss/run', 'sdoss/upload'])).toBe(true);
    expect((await listHosts(t.db))[0]!.schedules).toEqual(['sdoss/run', 'sdoss/upload']);
    // Another daemon registered under the same name since: this one's beat says so. (Not
    // checked under a running Heartbeat, which may take the name back before this beat.)
    await t.db.none(`UPDATE hosts SET pid = 1, holder = 'elsewhere' WHERE name = 'tycho'`);
    expect(await beat(t.db, 'tycho')).toBe(false);
  });

  it("beats every heartbeatMs with the database's clock, takes its name back from another daemon (saying so), and records a clean stop", async () => {
    const lines: { msg: string; level: number }[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (l: string) => lines.push(JSON.parse(l) as { msg: string; level: number }) },
    });
    const heartbeat = new Heartbeat(t.db, info, logger);
    await heartbeat.start();
    const first = (await listHosts(t.db))[0]!.heartbeat_at;
    const beaten = async (after: Date) => {
      for (;;) {
        const row = (await listHosts(t.db))[0]!;
        if (row.heartbeat_at > after && row.pid === process.pid) return row;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await beaten(first);
    // Another daemon starts under the same name.
    await t.db.none(`UPDATE hosts SET pid = 1, holder = 'elsewhere' WHERE name = 'tycho'`);
    const back = await beaten(first);
    expect(back.holder).toBe(pidNamespace());
    expect(lines.some((l) => l.level === 50 && l.msg.startsWith('another daemon registered under this host name'))).toBe(true);
    await heartbeat.stop();
    expect((await listHosts(t.db))[0]!.stopped_at).toBeInstanceOf(Date);
  });
});
