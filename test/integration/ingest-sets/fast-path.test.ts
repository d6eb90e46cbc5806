import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import type { StageOutcome } from '../../../src/stages/types.js';
import { contentHash, setLockKeys } from '../../../src/stages/ingest/sets/set-ledger.js';
import { FRC_INFO, OBSERVATORY, feat, init } from './sdoss-files.js';
import { backendPid, untilBlockedBy, useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();
const [A, B] = ['20140221T000045', '20140221T060045'].map((date) => ({
  key: `sdoss_106_${date}_sdo`,
  init: init(date),
  feat: feat(`sdoss_106_${date}_sdo_feat.csv`, 2),
}));

/**
 * Runs the stage with one set in flight: set A resolves the metadata (its first
 * statement held up until `meanwhile` is done), then set B, whose metadata is known by
 * then and of which the ledger knew nothing at the start of the run, takes the
 * one-message path.
 */
async function runHeldUp(w: SetsWorld, meanwhile: (source: string) => Promise<void>): Promise<StageOutcome> {
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
  for (const set of [A!, B!]) {
    await w.write(`${set.key}_init.csv`, set.init);
    await w.write(`${set.key}_feat.csv`, set.feat);
  }
  const single = openDb({ url: w.test.url, schema: w.test.schema, poolSize: 2, applicationName: 'one-set-in-flight' });
  const holder = await w.db.connect();
  try {
    const pid = await backendPid(holder);
    // An uncommitted frc_info row of the same natural key: A's INSERT ... ON CONFLICT waits for it.
    await holder.none(
      `BEGIN; INSERT INTO $1:name.frc_info (institut, code, version, feature_name) VALUES ('MSSL', 'SDOSS', '1.06', 'SUNSPOTS')`,
      [w.hfc],
    );
    const run = w.direct(single);
    await untilBlockedBy(w.db, pid);
    await meanwhile(`local:${w.source}`);
    await holder.none('COMMIT');
    return await run;
  } finally {
    await holder.done();
    await closeDb(single);
  }
}

function ledgerRow(w: SetsWorld, source: string, content: string): Promise<null> {
  return w.db.none(
    `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host, finished_at)
     VALUES ($1, 'sdoss', 'sdoss', '1.06', $2, 'set', $3, '[]', 'loaded', 'other', clock_timestamp())`,
    [source, B!.key, content],
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('ingest sets mode: the one-message load of a new set', () => {
  it('is busy (skipped, nothing recorded) while another process holds the set', async () => {
    const w = await world('fast-busy');
    const other = await w.db.connect();
    try {
      const outcome = await runHeldUp(w, async (source) => {
        await other.one('SELECT pg_advisory_lock($1, $2)', setLockKeys({ source, reemissionKey: B!.key.replace('_106_', '_*_') }));
      });
      expect(outcome.stats).toMatchObject({ loaded: 1, skipped: 1, rejected: 0, failed: 0 });
      await other.one(
        'SELECT pg_advisory_unlock($1, $2)',
        setLockKeys({ source: `local:${w.source}`, reemissionKey: B!.key.replace('_106_', '_*_') }),
      );
    } finally {
      await other.done();
    }
    expect((await w.ledger()).map((r) => r.set_key)).toEqual([A!.key]);
  });

  it('is done (skipped) when another process loaded the same content meanwhile', async () => {
    const w = await world('fast-done');
    const content = contentHash([
      { role: 'init', path: `${B!.key}_init.csv`, sha256: sha256(B!.init), size: 0 },
      { role: 'feat', path: `${B!.key}_feat.csv`, sha256: sha256(B!.feat), size: 0 },
    ]);
    const outcome = await runHeldUp(w, (source) => ledgerRow(w, source, content).then(() => undefined));
    expect(outcome.stats).toMatchObject({ loaded: 1, skipped: 1, rejected: 0 });
    expect((await w.ledger()).map((r) => [r.set_key, r.host]).sort()).toEqual([
      [A!.key, 'test-host'],
      [B!.key, 'other'],
    ]);
  });

  it('takes the long way and replaces a load of other content committed meanwhile (live)', async () => {
    const w = await world('fast-live');
    const outcome = await runHeldUp(w, (source) => ledgerRow(w, source, 'b'.repeat(64)).then(() => undefined));
    expect(outcome.stats).toMatchObject({ loaded: 2, replaced: 1, rejected: 0 });
    const mine = (await w.ledger()).filter((r) => r.set_key === B!.key).sort((a, b) => a.status.localeCompare(b.status));
    expect(mine.map((r) => [r.status, r.host])).toEqual([
      ['loaded', 'test-host'],
      ['replaced', 'other'],
    ]);
    expect(mine[1]!.replaced_by).toBe(mine[0]!.id);
  });
});
