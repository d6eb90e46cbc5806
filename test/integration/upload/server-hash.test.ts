// verify: server-hash against servers that do and do not compute hashes: proftpd's
// mod_digest answers HASH (selected to SHA-256 first, its default is SHA-1) and the
// ledger records its digest; over vsftpd, which has no HASH, the file is read back and
// the ledger says so.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rigProftpd } from '../../../harness/rig.js';
import { worldsOfFile } from '../../../harness/upload-world.js';

const worlds = worldsOfFile();
afterAll(worlds.closeAll);

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

describe('verify: server-hash', () => {
  it.each(['proftpd-ftp', 'proftpd-ftps'] as const)('%s: the ledger records the SHA-256 the server computed', async (protocol) => {
    const w = await worlds.create(`hash-${protocol}`, { protocol, upload: { verify: 'server-hash' } });
    const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 70_000);
    const digest = sha256(readFileSync(file));
    const outcome = await w.run();
    expect(outcome).toMatchObject({ ok: true, stats: { deleted: 1, failed: 0 } });
    const [row] = await w.transfers();
    expect(row).toMatchObject({ state: 'deleted', verify_method: 'size+sha256-server', local_sha256: digest, remote_sha256: digest });
  });

  it('proftpd: a remote copy altered before verification is caught by the server digest', async () => {
    const w = await worlds.create('hash-altered', { protocol: 'proftpd-ftp', upload: { verify: 'server-hash' } });
    const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 50_000);
    const outcome = await w.run({
      hooks: {
        async beforeVerify(t) {
          await writeFile(path.join(rigProftpd().root, t.partialPath!), Buffer.alloc(50_000, 7));
        },
      },
    });
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_VERIFY_MISMATCH' });
    expect(outcome.error?.message).toContain(`SHA-256 ${sha256(Buffer.alloc(50_000, 7))} on the server`);
    const [row] = await w.transfers();
    expect(row).toMatchObject({ state: 'discovered', error_code: 'TRANSFER_VERIFY_MISMATCH' });
    expect(readFileSync(file)).toHaveLength(50_000);
  });

  it('vsftpd (no HASH): read back, and recorded as such', async () => {
    const w = await worlds.create('hash-vsftpd', { protocol: 'ftp', upload: { verify: 'server-hash' } });
    const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 20_000);
    const digest = sha256(readFileSync(file));
    expect(await w.run()).toMatchObject({ ok: true, stats: { deleted: 1 } });
    const [row] = await w.transfers();
    expect(row).toMatchObject({ verify_method: 'size+sha256-readback(no-server-hash)', remote_sha256: digest });
  });
});
