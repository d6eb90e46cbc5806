// The database connection lost in the middle of an upload (server restart, an
// administrator's pg_terminate_backend): the run stops, says it may be tried again, and
// leaves the file where it is, recorded, for the next run to finish.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cutNextWrite } from '../../helpers/cut-connection.js';
import { worldsOfFile } from '../../../harness/upload-world.js';

const worlds = worldsOfFile();
afterAll(worlds.closeAll);

describe('upload stage: the database connection lost while a state is recorded', () => {
  it('ends the run as retryable, keeps the local file, and the next run finishes it', async () => {
    const w = await worlds.create('db-lost', { protocol: 'local' });
    const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 4096);
    let cut: Promise<void> | undefined;
    const outcome = await w.run({
      hooks: {
        async afterState(transfer) {
          // Uploading recorded: the next state (verified) is written on a connection that dies.
          if (transfer.state === 'uploading' && !cut) cut = (await cutNextWrite(w.db.db, 'transfers')).cut;
        },
      },
    });
    await cut;
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ code: 'DB_FAILED', retryable: true, message: expect.stringMatching(/database unavailable/) });
    expect(existsSync(file)).toBe(true);
    expect((await w.transfers()).map((t) => [t.state, t.error_code])).toEqual([['uploading', 'DB_FAILED']]);

    const next = await w.run();
    expect(next).toMatchObject({ ok: true, stats: { deleted: 1, failed: 0 } });
    expect(existsSync(file)).toBe(false);
    expect(await w.remoteFiles()).toEqual([`sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv`]);
  });
});
