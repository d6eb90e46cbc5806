import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeRuns } from '../../../src/daemon/run-summary.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('run_summary');
});
afterAll(() => t?.drop());

/** A run of `pipeline/stage` that started `hour` hours after midnight and took ten minutes. */
async function run(pipeline: string, stage: string, hour: number, state: string): Promise<number> {
  const at = new Date(Date.UTC(2026, 10, 21, hour));
  const row = await t.db.one<{ id: string }>(
    `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at)
     VALUES ($1, $2, $3::timestamptz, 'schedule', $4, 'h', 1, now() + interval '1 hour', $3::timestamptz,
             CASE WHEN $4 = 'running' THEN NULL ELSE $3::timestamptz + interval '10 minutes' END) RETURNING id`,
    [pipeline, stage, at, state],
  );
  return Number(row.id);
}

describe('the run summary of status, metrics and the overview', () => {
  it('gives every pipeline and stage in the history its newest ended run, newest success and live run', async () => {
    await run('aia', 'run', 1, 'succeeded');
    const aiaFailed = await run('aia', 'run', 2, 'failed');
    const aiaLive = await run('aia', 'run', 3, 'running');
    const aiaUpload = await run('aia', 'upload', 1, 'succeeded');
    await run('eit', 'ingest', 1, 'failed');
    const eitSkipped = await run('eit', 'ingest', 2, 'skipped');
    const zLast = await run('z-only', 'run', 5, 'interrupted');

    const summary = await summarizeRuns(t.db);
    expect([...summary.keys()].sort()).toEqual(['aia/run', 'aia/upload', 'eit/ingest', 'z-only/run']);
    const brief = (key: string) => {
      const s = summary.get(key)!;
      return { last: s.last?.id ?? null, success: s.lastSuccessAt?.toISOString() ?? null, running: s.running?.id ?? null };
    };
    expect(brief('aia/run')).toEqual({ last: aiaFailed, success: '2026-11-21T01:10:00.000Z', running: aiaLive });
    expect(brief('aia/upload')).toEqual({ last: aiaUpload, success: '2026-11-21T01:10:00.000Z', running: null });
    expect(brief('eit/ingest')).toEqual({ last: eitSkipped, success: null, running: null });
    expect(brief('z-only/run')).toEqual({ last: zLast, success: null, running: null });
  });
});
