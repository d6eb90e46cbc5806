import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pgPromise from 'pg-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCheckout, type PrivateCheckout } from './private-checkout.js';

// The demo runs as root from a checkout inside a private (mode 700) directory, like /root
// or a `mktemp -d` directory, which is where many newcomers meet it.
let checkout: PrivateCheckout;
let repo: string;
beforeAll(async () => {
  expect(process.getuid?.(), 'the demo test runs as root, as npm test does').toBe(0);
  checkout = await privateCheckout(path.resolve(import.meta.dirname, '../../..'));
  repo = checkout.dir;
  expect((await stat(checkout.home)).mode & 0o777).toBe(0o700);
});
afterAll(() => checkout?.remove());

/** Every file below `dir`, relative to it. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("npm run demo (the README's first command), as root from a checkout in a mode-700 directory", () => {
  it('runs a night end to end on embedded servers, stays up with --keep, and stops cleanly', async () => {
    const child = spawn(process.execPath, ['bin/nocturne.js', 'demo', '--keep'], {
      cwd: repo,
      stdio: 'pipe',
      env: { ...process.env, TMPDIR: checkout.tmp },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 150_000, interval: 500 }).toMatch(/daemon running: http:\/\/127\.0\.0\.1:9464/);

      expect(out).toMatch(/jobs +18 completed, 0 failed/);
      const uploaded = /uploaded +(\d+) files verified on the archive, (\d+) local copies deleted/.exec(out);
      expect(Number(uploaded?.[1])).toBeGreaterThan(0);
      expect(uploaded?.[2]).toBe(uploaded?.[1]);
      const connection = /psql '([^']+)'/.exec(out)?.[1];
      expect(connection).toBeDefined();

      // The archive holds every file set (one init per job) and quicklook, and no temporary upload is left.
      const archived = await files(path.join(repo, 'var/demo/archive/hfc'));
      expect(archived.filter((f) => f.endsWith('_init.csv'))).toHaveLength(18);
      expect(archived.filter((f) => f.endsWith('.jpg')).length).toBeGreaterThan(0);
      expect(archived.filter((f) => f.includes('.partial'))).toEqual([]);
      expect(await files(path.join(repo, 'var/demo/outbox'))).toEqual([]);

      // Every row is in the HFC catalogue once, with the provenance of the load that wrote it.
      const pgp = pgPromise();
      const db = pgp(connection!);
      try {
        const loads = await db.one<{ loaded: string; rows: string; other: string }>(`
          SELECT count(*) FILTER (WHERE status = 'loaded') AS loaded,
                 coalesce(sum(r.n) FILTER (WHERE status = 'loaded'), 0) AS rows,
                 count(*) FILTER (WHERE status NOT IN ('loaded', 'waiting')) AS other
            FROM nocturne.ingested_sets s
            LEFT JOIN LATERAL (SELECT sum(value::bigint) AS n FROM jsonb_each_text(s.rows)) r ON true`);
        expect(Number(loads.loaded)).toBeGreaterThanOrEqual(18);
        expect(loads.other).toBe('0');
        const summaryRows = Number(/ingested +(\d+) rows/.exec(out)?.[1]);
        expect(Number(loads.rows)).toBe(summaryRows);
        const counts = await db.one<{ rows: string; orphans: string; doubles: string }>(`
          SELECT count(*) AS rows,
                 count(*) FILTER (WHERE s.id IS NULL OR s.status <> 'loaded') AS orphans,
                 count(*) FILTER (WHERE f.ordinal IS NOT NULL)
                   - count(DISTINCT (f.tbl, f.feat_filename, f.ordinal)) FILTER (WHERE f.ordinal IS NOT NULL) AS doubles
            FROM (SELECT 'sunspots' AS tbl, load_id, feat_filename, row_ordinal AS ordinal FROM hfc.sunspots
                  UNION ALL SELECT 'activeregions', load_id, feat_filename, row_ordinal FROM hfc.activeregions
                  UNION ALL SELECT 'type_iii', load_id, feat_filename, row_ordinal FROM hfc.type_iii
                  UNION ALL SELECT 'activeregions_tracking', load_id, feat_filename, NULL FROM hfc.activeregions_tracking
                  UNION ALL SELECT 'observations', load_id, filename, NULL FROM hfc.observations) f
            LEFT JOIN nocturne.ingested_sets s ON s.id = f.load_id`);
        expect(Number(counts.rows)).toBeGreaterThan(0);
        expect(counts).toMatchObject({ orphans: '0', doubles: '0' });
        // The catalogue holds exactly the rows the loaded sets recorded (observations, features,
        // tracking rows: all carry a load_id; frc_info and observatory are shared and not counted).
        expect(Number(counts.rows)).toBe(Number(loads.rows));
        const observations = await db.one<{ n: string }>('SELECT count(*) AS n FROM hfc.observations');
        // SDOSS writes two observations per set, the other codes one.
        expect(Number(observations.n)).toBeGreaterThanOrEqual(18);
        const views = await db.one<{ n: string }>(`
          SELECT (SELECT count(*) FROM hfc.view_sunspots_hqi) + (SELECT count(*) FROM hfc.view_ar_hqi)
                 + (SELECT count(*) FROM hfc.view_type_iii_hqi) AS n`);
        const features = await db.one<{ n: string }>(`
          SELECT (SELECT count(*) FROM hfc.sunspots) + (SELECT count(*) FROM hfc.activeregions) + (SELECT count(*) FROM hfc.type_iii) AS n`);
        expect(views.n).toBe(features.n);
        // The views carry the quicklook of the observation (QCLK_URL/QCLK_FNAME of the init files).
        const snapshots = await db.one<{ n: string }>(`
          SELECT (SELECT count(snapshot) FROM hfc.view_sunspots_hqi) + (SELECT count(snapshot) FROM hfc.view_ar_hqi)
                 + (SELECT count(snapshot) FROM hfc.view_type_iii_hqi) AS n`);
        expect(Number(snapshots.n)).toBeGreaterThan(0);
      } finally {
        pgp.end();
      }

      const health = await fetch('http://127.0.0.1:9464/healthz');
      expect(health.status).toBe(200);
      child.kill('SIGINT');
      expect(await exited, out).toBe(0);
      await expect(fetch('http://127.0.0.1:54329')).rejects.toThrow();
      // The database's temporary directory (with the server's files, as root) is gone too.
      expect(await readdir(checkout.tmp)).toEqual([]);
    } finally {
      // A failed assertion must not leave the demo's servers holding their ports.
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    }
  }, 180_000);
});
