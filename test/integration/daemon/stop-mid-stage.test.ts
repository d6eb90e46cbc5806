// The daemon stopped by SIGTERM while a real stage is half-way through its work (grace
// too short to finish, so the stage is aborted), then started again: the restart must
// finish the work with nothing lost and nothing done twice.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { installFeatureTables } from '../../../harness/feature-tables.js';
import { writeFeatureCsv } from '../ingest/feature-csv.js';
import { FEATURE_COLUMNS } from '../ingest/world.js';
import { rigRoot, rigTarget } from '../../../harness/rig-targets.js';
import { DaemonProcess, eventually, freePort, writeDaemonConfig } from '../../../harness/daemon-process.js';

const UPLOAD_FILES = 160;
const CSV_FILES = 12;
const CSV_ROWS = 20_000;
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const count = (n: { n: string }) => Number(n.n);

describe('SIGTERM in the middle of a stage, then a restart (needs npm run build)', () => {
  let t: TestDb;
  let dir: string;
  let hfc: string;
  const remoteBase = `t-stopmid-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    t = await createTestDb('stopmid');
    hfc = `${t.schema}_hfc`;
    await installFeatureTables(t.db, { schema: hfc, stateSchema: t.schema });
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-stopmid-'));
  });

  afterAll(async () => {
    await t.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [hfc]);
    await t.drop();
    await rm(path.join(rigRoot(), remoteBase), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Starts the daemon on `pipeline`, stops it with SIGTERM once `progress` is between a
   * tenth and a third of `total`, checks `afterStop`, then runs a second daemon until
   * `progress` reaches `total`.
   */
  async function interruptAndResume(pipeline: string, total: number, progress: () => Promise<number>, afterStop: () => Promise<void>) {
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port: await freePort(),
      grace: '200ms',
      targets: { archive: rigTarget('ftps') },
      pipelines: { sdoss: pipeline },
    });
    const first = new DaemonProcess(dir);
    await first.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
    const at = await eventually('partial progress', 60_000, async () => {
      const done = await progress();
      return done >= total / 10 && done < total / 3 ? done : undefined;
    });
    first.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(first.lines.some((l) => l.msg === 'grace period over: aborting running stages')).toBe(true);
    expect(first.lines.at(-1)).toMatchObject({ msg: 'shutdown complete', stagesLeftRunning: 0 });
    const stopped = await progress();
    expect(stopped, `stopped at ${stopped} of ${total} (SIGTERM at ${at})`).toBeLessThan(total);
    expect(await t.db.any("SELECT id FROM runs WHERE state = 'running'")).toEqual([]);
    await afterStop();

    const second = new DaemonProcess(dir);
    await second.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
    await eventually('all the work done', 60_000, async () => ((await progress()) === total ? true : undefined));
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }

  it('upload: every file archived exactly once, no local copy gone without its verified remote copy', async () => {
    const outbox = path.join(dir, 'state/outbox/sdoss');
    const remote = path.join(rigRoot(), remoteBase, 'sdoss');
    await mkdir(outbox, { recursive: true });
    const bodies = new Map<string, string>();
    for (let i = 0; i < UPLOAD_FILES; i++) {
      const name = `sdoss_106_${String(i).padStart(4, '0')}_feat.csv`;
      const body = randomBytes(32 * 1024 + i);
      await writeFile(path.join(outbox, name), body);
      bodies.set(name, sha256(body));
    }
    const pipeline = stringify({
      name: 'sdoss',
      code: { name: 'sdoss', version: '1.06' },
      upload: { schedule: '*/2 * * * * *', target: 'archive', include: ['*.csv'], remoteDir: `${remoteBase}/{code}` },
    });
    const deleted = async () => count(await t.db.one("SELECT count(*) AS n FROM transfers WHERE state = 'deleted'"));
    const everyFileSafe = async () => {
      for (const [name, hash] of bodies) {
        if (existsSync(path.join(outbox, name))) continue;
        expect(sha256(await readFile(path.join(remote, name))), `${name}: local copy deleted`).toBe(hash);
      }
    };
    await interruptAndResume(pipeline, UPLOAD_FILES, deleted, everyFileSafe);

    expect(await readdir(outbox)).toEqual([]);
    expect((await readdir(remote)).sort()).toEqual([...bodies.keys()].sort());
    await everyFileSafe();
    const rows = await t.db.any<{ local_path: string; state: string }>('SELECT local_path, state FROM transfers');
    expect(rows).toHaveLength(UPLOAD_FILES);
    expect(new Set(rows.map((r) => r.local_path)).size).toBe(UPLOAD_FILES);
  });

  it('ingest: every file loaded exactly once, all or nothing', async () => {
    const incoming = path.join(dir, 'incoming');
    await mkdir(incoming, { recursive: true });
    for (let i = 0; i < CSV_FILES; i++) {
      const name = `sdoss_106_${String(i).padStart(2, '0')}_feat.csv`;
      await writeFeatureCsv(path.join(incoming, name), name, CSV_ROWS);
    }
    const pipeline = stringify({
      name: 'sdoss',
      code: { name: 'sdoss', version: '1.06' },
      ingest: {
        schedule: '*/2 * * * * *',
        source: { dir: incoming },
        csv: { delimiter: ';', nullValues: ['NULL', ''] },
        table: `${hfc}.sunspots`,
        columns: FEATURE_COLUMNS,
        naturalKey: ['feat_filename', 'id_feat'],
      },
    });
    const loaded = async () => count(await t.db.one("SELECT count(*) AS n FROM ingested_files WHERE status = 'loaded'"));
    const rowsMatchLedger = async () => {
      const { n, expected } = await t.db.one<{ n: string; expected: string }>(
        `SELECT (SELECT count(*) FROM $1:name.sunspots) AS n,
                (SELECT coalesce(sum(rows_inserted), 0) FROM ingested_files WHERE status = 'loaded') AS expected`,
        [hfc],
      );
      expect(Number(n)).toBe(Number(expected));
    };
    await interruptAndResume(pipeline, CSV_FILES, loaded, rowsMatchLedger);

    await rowsMatchLedger();
    const ledger = await t.db.any<{ path: string; rows_inserted: number }>('SELECT path, rows_inserted FROM ingested_files');
    expect(ledger).toHaveLength(CSV_FILES);
    expect(ledger.every((f) => f.rows_inserted === CSV_ROWS)).toBe(true);
    const { n, distinct } = await t.db.one<{ n: string; distinct: string }>(
      'SELECT count(*) AS n, count(DISTINCT (feat_filename, id_feat)) AS distinct FROM $1:name.sunspots',
      [hfc],
    );
    expect([Number(n), Number(distinct)]).toEqual([CSV_FILES * CSV_ROWS, CSV_FILES * CSV_ROWS]);
  });
});
