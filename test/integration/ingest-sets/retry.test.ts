// `nocturne retry --stage ingest --set KEY`: a set rejected by the catalogue (a constraint
// since corrected) comes back from the quarantine and is loaded from the same content.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { retry } from '../../../src/operations/retry.js';
import { DATE, FEAT, FRC_INFO, INIT, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

/** A world whose features waited past initWait for an init that never came: rejected as incomplete, set aside. */
async function rejectedAsIncomplete(label: string) {
  const w = await world(label, { sets: { initWait: '1s' } });
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
  await w.write(FEAT, feat(FEAT, 3));
  expect((await w.run()).stats).toMatchObject({ waiting: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await w.run()).stats).toMatchObject({ rejected: 1 });
  return w;
}

describe('retry of a rejected set', () => {
  it('moves its members back from the quarantine and loads the same content once the target is corrected', async () => {
    const w = await world('retry-set');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 3));
    await w.db.none('ALTER TABLE $1:name.sunspots ADD CONSTRAINT not_yet CHECK (false) NOT VALID', [w.hfc]);
    expect((await w.run()).stats).toMatchObject({ loaded: 0, rejected: 1 });
    const [rejected] = await w.ledger();
    expect(rejected?.status).toBe('rejected');
    expect((await readdir(path.join(w.quarantine, 'sdoss'))).sort()).toEqual([FEAT, `${FEAT}.report.txt`, INIT, `${INIT}.report.txt`]);

    await w.db.none('ALTER TABLE $1:name.sunspots DROP CONSTRAINT not_yet', [w.hfc]);
    const printed: string[] = [];
    const deps = { config: w.config, db: w.db, logger: createLogger({ level: 'silent' }), print: (l: string) => printed.push(l) };
    const key = FEAT.replace(/_feat\.csv$/, '');
    const report = await retry(deps, {
      selection: { pipeline: w.pipeline, stages: ['ingest'], set: `${key.slice(0, 12)}*` },
      by: 'tester@rig',
      now: true,
    });
    expect(report.applied?.retried.map((i) => [i.kind, i.item])).toEqual([['set', key]]);
    expect(report.runs.map((r) => r.result.kind === 'done' && r.result.outcome.stats)).toEqual([
      expect.objectContaining({ loaded: 1, rejected: 0 }),
    ]);

    expect(await readdir(path.join(w.quarantine, 'sdoss'))).toEqual([]);
    for (const name of [INIT, FEAT]) expect(existsSync(path.join(w.source, name))).toBe(true);
    // The same content, loaded once; its rejected attempt kept in retried_items.
    const rows = await w.ledger();
    expect(rows.map((r) => r.status)).toEqual(['loaded']);
    expect(rows[0]!.content_sha256).toBe(rejected!.content_sha256);
    expect(await w.count('sunspots')).toBe(3);
    const kept = await w.db.one<{ status: string; id: string }>(
      `SELECT previous->>'status' AS status, previous->>'id' AS id FROM retried_items`,
    );
    expect(kept).toEqual({ status: 'rejected', id: String(rejected!.id) });
  });

  it('brings back features set aside as incomplete once their init loaded alone, and lists them as a problem until then', async () => {
    const w = await rejectedAsIncomplete('retry-incomplete');
    expect(existsSync(path.join(w.quarantine, 'sdoss', FEAT))).toBe(true);
    // The init arrives alone: it loads (an observation may have no features), its features still set aside.
    await w.write(INIT, init(DATE));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    expect(await w.count('sunspots')).toBe(0);
    const key = FEAT.replace(/_feat\.csv$/, '');
    const listed = () =>
      w.db
        .any<{ problem: string }>(`SELECT problem FROM $1:name.night_problems WHERE retry_name = $2`, [w.hfc, key])
        .then((r) => r.map((p) => p.problem));
    const rejectedSets = () => w.db.any(`SELECT 1 FROM $1:name.rejected_sets WHERE set_key = $2`, [w.hfc, key]);
    expect(await listed()).toEqual(['incomplete set']);
    // Readers see the file names of a local source, not the ingest host's directories.
    const { reason } = await w.db.one<{ reason: string }>(`SELECT reason FROM $1:name.night_problems`, [w.hfc]);
    expect(reason).toBe(`${FEAT}: its init file ${INIT} has not arrived (waited 1s)`);
    expect(await rejectedSets()).toHaveLength(1);

    const deps = { config: w.config, db: w.db, logger: createLogger({ level: 'silent' }), print: () => undefined };
    const report = await retry(deps, { selection: { pipeline: w.pipeline, stages: ['ingest'], set: key }, by: 'tester@rig', now: true });
    expect(report.applied?.retried.map((i) => [i.kind, i.item])).toEqual([['set', key]]);
    expect(await w.count('sunspots')).toBe(3);
    expect(await w.count('observations')).toBe(2);
    // Made good: neither listed nor offered again.
    expect(await listed()).toEqual([]);
    expect(await rejectedSets()).toEqual([]);
    const again = await retry(deps, { selection: { pipeline: w.pipeline, stages: ['ingest'], set: key }, by: 'tester@rig', dryRun: true });
    expect(again.candidates).toEqual([]);
  });

  it('counts an incomplete set made good by the observation run again: a complete set of other content', async () => {
    const w = await rejectedAsIncomplete('retry-incomplete-rerun');
    // The code run again writes the whole set, its features different (4 of them).
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 4));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    expect(await w.count('sunspots')).toBe(4);
    const key = FEAT.replace(/_feat\.csv$/, '');
    expect(await w.db.any(`SELECT 1 FROM $1:name.night_problems WHERE retry_name = $2`, [w.hfc, key])).toEqual([]);
    const deps = { config: w.config, db: w.db, logger: createLogger({ level: 'silent' }), print: () => undefined };
    const offered = await retry(deps, {
      selection: { pipeline: w.pipeline, stages: ['ingest'], set: key },
      by: 'tester@rig',
      dryRun: true,
    });
    expect(offered.candidates).toEqual([]);
  });
});
