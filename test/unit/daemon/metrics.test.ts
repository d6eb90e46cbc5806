import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import type { StageRuns } from '../../../src/daemon/run-summary.js';
import type { RunRow } from '../../../src/runs/runs.js';
import type { SchedulerEvents } from '../../../src/scheduling/events.js';
import { captureLogger } from '../scheduling/harness.js';

const run = (over: Partial<RunRow>): RunRow => ({
  id: 7,
  pipeline: 'eit',
  stage: 'upload',
  slot: new Date('2026-11-20T02:00:00Z'),
  trigger: 'schedule',
  state: 'succeeded',
  attempt: 1,
  host: 'tycho',
  pid: 1,
  holder: null,
  started_at: new Date('2026-11-20T02:00:00Z'),
  finished_at: new Date('2026-11-20T02:01:30Z'),
  error_code: null,
  error: null,
  stats: {},
  ...over,
});

function setup(summaryFails = false) {
  const { logger, lines } = captureLogger();
  const summary = new Map<string, StageRuns>([
    ['eit/upload', { last: run({ state: 'failed' }), lastSuccessAt: new Date('2026-11-19T02:01:00Z'), running: null }],
  ]);
  const metrics = new DaemonMetrics(
    {
      version: '1.2.3',
      summary: async () => {
        if (summaryFails) throw new Error('connection refused');
        return summary;
      },
      pending: async (): Promise<{ pipeline: string; stage: string; counts: Record<string, number> }[]> => [
        { pipeline: 'eit', stage: 'run', counts: { observations_pending: 4, tasks_running: 2 } },
        { pipeline: 'eit', stage: 'upload', counts: { files: 3, bytes: 1500 } },
      ],
    },
    logger,
  );
  const events = new EventEmitter<SchedulerEvents>();
  metrics.observe(events);
  return { metrics, events, lines };
}

const ref = { pipeline: 'eit', stage: 'upload', slot: new Date(), trigger: 'schedule', attempt: 1 } as const;

describe('Prometheus metrics', () => {
  it('exports history gauges from the state database, in base units', async () => {
    const { body } = await setup().metrics.render();
    expect(body).toContain('nocturne_build_info{version="1.2.3"} 1');
    expect(body).toContain('nocturne_stage_last_success_timestamp_seconds{pipeline="eit",stage="upload"} 1795053660');
    expect(body).toContain('nocturne_stage_last_run_duration_seconds{pipeline="eit",stage="upload"} 90');
    expect(body).toContain('nocturne_stage_last_run_success{pipeline="eit",stage="upload"} 0');
    expect(body).toContain('nocturne_stage_pending{pipeline="eit",stage="upload",kind="bytes"} 1500');
    expect(body).toContain('nocturne_stage_pending{pipeline="eit",stage="run",kind="observations_pending"} 4');
    expect(body).toContain('nocturne_jobs{pipeline="eit",state="running"} 2');
    expect(body).toContain('nocturne_state_db_up 1');
    expect(body).toContain('process_resident_memory_bytes');
  });

  it('counts runs by result and the files, bytes and rows they handled', async () => {
    const { metrics, events } = setup();
    const outcome = { ok: true, stats: { files: 3, bytes: 2048, rows: 0 }, summary: 'ok' };
    events.emit('finished', { ...ref, result: { kind: 'done', runId: 1, outcome } });
    events.emit('finished', { ...ref, result: { kind: 'done', runId: 2, outcome } });
    const error = new NocturneError('TRANSFER_FAILED', 'down', { retryable: true });
    events.emit('finished', { ...ref, result: { kind: 'done', runId: 3, outcome: { ok: false, stats: {}, summary: 'x', error } } });
    events.emit('finished', { ...ref, result: { kind: 'not-run', reason: 'taken' } });
    events.emit('skipped', { pipeline: 'eit', stage: 'upload', slot: new Date(), trigger: 'schedule', reason: 'overrun' });
    const { body } = await metrics.render();
    for (const [result, n] of [
      ['succeeded', 2],
      ['failed', 1],
      ['not_run', 1],
      ['skipped', 1],
    ] as const) {
      expect(body).toContain(`nocturne_stage_runs_total{pipeline="eit",stage="upload",result="${result}"} ${n}`);
    }
    expect(body).toContain('nocturne_stage_files_total{pipeline="eit",stage="upload"} 6');
    expect(body).toContain('nocturne_stage_bytes_total{pipeline="eit",stage="upload"} 4096');
    expect(body).not.toContain('nocturne_stage_rows_total{');
    // Counters are totals: a second scrape shows them again, not twice.
    events.emit('skipped', { pipeline: 'eit', stage: 'upload', slot: new Date(), trigger: 'schedule', reason: 'overrun' });
    const again = (await metrics.render()).body;
    expect(again).toContain('nocturne_stage_files_total{pipeline="eit",stage="upload"} 6');
    expect(again).toContain('nocturne_stage_runs_total{pipeline="eit",stage="upload",result="skipped"} 2');
  });

  it('still answers when the database is down, saying so', async () => {
    const { metrics, lines } = setup(true);
    const { body } = await metrics.render();
    expect(body).toContain('nocturne_state_db_up 0');
    expect(lines.at(-1)).toMatchObject({ msg: 'metrics: state database unreadable' });
  });
});
