import { describe, expect, it } from 'vitest';
import { workVerdicts } from '../../../src/alerts/evaluate-work.js';
import type { FailedItem } from '../../../src/alerts/snapshot.js';
import { alertConfig, at, contextOf, openIncident, snapshot } from './world.js';

const config = alertConfig(
  {
    sdoss: {
      stages: { run: { schedule: '0 2 * * *' }, ingest: { schedule: '0 4 * * *' } },
      alerts: { workFailed: { digestDelay: '30m' } },
    },
    eit: { stages: { upload: { schedule: '0 3 * * *' } }, alerts: { workStuck: { after: '30m' } } },
  },
  { workFailed: { digestDelay: '5m' } },
);
const files = (n: number): FailedItem[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'file', name: `/csv/f${i}.csv`, reason: `f${i}.csv:2:3: bad` }));

describe('work_failed', () => {
  it("makes one digest of a night's 500 rejected files, listing them, first told after the digest delay", () => {
    const failed = [{ pipeline: 'sdoss', stage: 'ingest' as const, night: '2026-11-21', count: 500, items: files(500) }];
    const { open } = workVerdicts(snapshot('2026-11-22T05:00:00Z', { failed }), contextOf(config));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      kind: 'work_failed',
      pipeline: 'sdoss',
      stage: 'ingest',
      subject: '2026-11-21',
      size: 500,
      notifyDelayMs: 30 * 60_000,
      summary: 'sdoss/ingest, night of 2026-11-21: 500 rejected files',
    });
    expect((open[0]!.details['items'] as unknown[]).length).toBe(500);
  });

  it('counts each kind of item, and says when only the first ones are listed', () => {
    const items: FailedItem[] = [
      { type: 'observation', name: 'obs1', reason: 'exit 3' },
      { type: 'observation', name: 'obs2', reason: 'exit 3' },
      { type: 'set', name: 'sdoss_106_x', reason: null },
    ];
    const failed = [{ pipeline: 'sdoss', stage: 'run' as const, night: '2026-11-21', count: 1200, items }];
    const [digest] = workVerdicts(snapshot('2026-11-22T05:00:00Z', { failed }), contextOf(config)).open;
    expect(digest!.summary).toBe(
      'sdoss/run, night of 2026-11-21: 1200 items failed for good (2 failed observations, 1 rejected set among the first 3)',
    );
  });

  it('resolves a digest once none of its items is still failed, and leaves pipelines it does not know', () => {
    const open = [
      openIncident({ kind: 'work_failed', pipeline: 'sdoss', stage: 'ingest', subject: '2026-11-20' }),
      openIncident({ kind: 'work_failed', pipeline: 'other', stage: 'ingest', subject: '2026-11-20' }),
    ];
    const { resolve } = workVerdicts(snapshot('2026-11-22T05:00:00Z', { open }), contextOf(config));
    expect(resolve.map((r) => `${r.pipeline} ${r.subject}`)).toEqual(['sdoss 2026-11-20']);
  });

  it('is off for a pipeline that says so', () => {
    const off = alertConfig({ sdoss: { stages: { run: { schedule: '0 2 * * *' } }, alerts: { workFailed: { enabled: false } } } });
    const failed = [{ pipeline: 'sdoss', stage: 'run' as const, night: '2026-11-21', count: 1, items: files(1) }];
    expect(workVerdicts(snapshot('2026-11-22T05:00:00Z', { failed }), contextOf(off)).open).toEqual([]);
  });
});

describe('work_stuck', () => {
  const waiting = (since: string[], total = since.length) => [
    {
      pipeline: 'eit',
      stage: 'upload' as const,
      total,
      items: since.map((s, i) => ({ name: `/out/f${i}.csv`, since: at(s), state: 'uploading' })),
    },
  ];

  it("opens when files have waited for upload longer than the pipeline's threshold, counting only those", () => {
    const { open } = workVerdicts(
      snapshot('2026-11-22T05:00:00Z', { waiting: waiting(['2026-11-22T04:00:00Z', '2026-11-22T04:31:00Z']) }),
      contextOf(config),
    );
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'work_stuck', pipeline: 'eit', stage: 'upload', size: 1 });
    expect(open[0]!.summary).toBe('eit/upload: 1 file has waited for upload longer than 30 min, the oldest since 2026-11-22 04:00 UTC');
  });

  it('says "at least" when every item read is stuck and more wait', () => {
    const [stuck] = workVerdicts(
      snapshot('2026-11-22T05:00:00Z', { waiting: waiting(['2026-11-22T04:00:00Z'], 5000) }),
      contextOf(config),
    ).open;
    expect(stuck!.summary).toMatch(/^eit\/upload: at least 1 files/);
  });

  it('is quiet under the threshold, and resolves an open one', () => {
    const open = [openIncident({ kind: 'work_stuck', pipeline: 'eit', stage: 'upload' })];
    const verdicts = workVerdicts(
      snapshot('2026-11-22T05:00:00Z', { waiting: waiting(['2026-11-22T04:45:00Z']), open }),
      contextOf(config),
    );
    expect(verdicts.open).toEqual([]);
    expect(verdicts.resolve.map((r) => r.kind)).toEqual(['work_stuck']);
  });
});
