import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pgPromise from 'pg-promise';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

/** Every file below `dir`, relative to it. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('npm run demo (the README\'s first command)', () => {
  it('runs a night end to end on embedded servers, stays up with --keep, and stops cleanly', async () => {
    const child = spawn(process.execPath, ['bin/nocturne.js', 'demo', '--keep'], { cwd: repo, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect
        .poll(() => out, { timeout: 150_000, interval: 500 })
        .toMatch(/daemon running: http:\/\/127\.0\.0\.1:9464/);

      expect(out).toMatch(/jobs +18 completed, 0 failed/);
      expect(out).toMatch(/uploaded +36 files verified on the archive, 36 local copies deleted/);
      const connection = /psql '([^']+)'/.exec(out)?.[1];
      expect(connection).toBeDefined();

      // The archive holds every CSV and quicklook, and no temporary upload is left.
      const archived = await files(path.join(repo, 'var/demo/archive/hfc'));
      expect(archived.filter((f) => f.endsWith('_feat.csv'))).toHaveLength(18);
      expect(archived.filter((f) => f.endsWith('.jpg'))).toHaveLength(18);
      expect(archived.filter((f) => f.includes('.partial'))).toEqual([]);
      expect(await files(path.join(repo, 'var/demo/outbox'))).toEqual([]);

      // Every row is in the catalogue once, with its provenance.
      const pgp = pgPromise();
      const db = pgp(connection!);
      try {
        const counts = await db.one<{ rows: string; files: string; orphans: string; doubles: string }>(`
          SELECT count(*) AS rows, count(DISTINCT ingested_file_id) AS files,
                 count(*) FILTER (WHERE ingested_file_id IS NULL) AS orphans,
                 count(*) - count(DISTINCT (feat_filename, id_feat)) AS doubles
            FROM (SELECT ingested_file_id, feat_filename, id_feat FROM hfc.sunspots
                  UNION ALL SELECT ingested_file_id, feat_filename, id_feat FROM hfc.active_regions
                  UNION ALL SELECT ingested_file_id, feat_filename, id_feat FROM hfc.type_iii) f`);
        const summaryRows = Number(/ingested +(\d+) rows inserted/.exec(out)?.[1]);
        expect(Number(counts.rows)).toBe(summaryRows);
        expect(Number(counts.rows)).toBeGreaterThan(0);
        expect(counts).toMatchObject({ orphans: '0', doubles: '0' });
        expect(Number(counts.files)).toBeGreaterThan(0);
    } finally {
      await pgp.end();
    }

    const health = await fetch('http://127.0.0.1:9464/healthz');
    expect(health.status).toBe(200);
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    await expect(fetch('http://127.0.0.1:54329')).rejects.toThrow();
    } finally {
      // A failed assertion must not leave the demo's servers holding their ports.
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    }
  }, 180_000);
});
