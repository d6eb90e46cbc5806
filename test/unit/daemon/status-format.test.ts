import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/commands/status.js';
import type { StageStatus } from '../../../src/daemon/status-report.js';

const base: StageStatus = {
  pipeline: 'sdoss',
  stage: 'run',
  schedule: '30 2 * * *',
  timezone: 'Europe/Paris',
  onThisHost: true,
  next: '2026-11-25T01:30:00.000Z',
  running: null,
  last: null,
  lastSuccessAt: null,
  pending: {},
};

const run = { slot: '2026-11-24T01:30:00.000Z', trigger: 'schedule', host: 'tycho', startedAt: '2026-11-24T01:30:01.000Z' };

describe('nocturne status, for people', () => {
  it('shows one line per stage, then what went wrong', () => {
    const text = formatStatus([
      {
        ...base,
        last: { ...run, id: 41, state: 'succeeded', finishedAt: '2026-11-24T01:42:00.000Z', detail: 'jobs=3' },
        lastSuccessAt: '2026-11-24T01:42:00.000Z',
        pending: { observations_pending: 3 },
      },
      {
        ...base,
        stage: 'upload',
        onThisHost: false,
        running: { ...run, id: 43, state: 'running', finishedAt: null, detail: '' },
        last: {
          ...run,
          id: 42,
          state: 'failed',
          finishedAt: '2026-11-24T02:00:00.000Z',
          detail: 'archive.example.org:21: connection refused',
        },
        pendingError: 'counting pending work of sdoss/upload: timeout',
      },
    ]);
    expect(text).toMatchInlineSnapshot(`
      "PIPELINE/STAGE  HERE  NEXT               NOW                        LAST                                        LAST SUCCESS       PENDING
      sdoss/run       yes   2026-11-25 01:30Z  idle                       succeeded (run 41, slot 2026-11-24 01:30Z)  2026-11-24 01:42Z  observations_pending=3
      sdoss/upload    no    2026-11-25 01:30Z  running on tycho (run 43)  failed (run 42, slot 2026-11-24 01:30Z)     -                  ? (counting pending work of sdoss/upload: timeout)

      sdoss/upload: failed (run 42, slot 2026-11-24 01:30Z): archive.example.org:21: connection refused
      "
    `);
  });

  it('shows a paused stage with who, when and why, and the stages no live daemon schedules', () => {
    const paused = { reason: 'telescope maintenance', by: 'ops@hal', since: '2026-11-24T18:02:11.000Z' };
    const text = formatStatus(
      [
        { ...base, paused },
        { ...base, stage: 'ingest' },
      ],
      [],
      ['sdoss/ingest'],
    );
    expect(text).toMatchInlineSnapshot(`
      "PIPELINE/STAGE  HERE  NEXT               NOW                 LAST       LAST SUCCESS  PENDING
      sdoss/run       yes   2026-11-25 01:30Z  paused (see below)  never ran  -             -
      sdoss/ingest    yes   2026-11-25 01:30Z  idle                never ran  -             -

      sdoss/run: paused by ops@hal since 2026-11-24T18:02:11Z: telescope maintenance (nocturne resume sdoss --stage run)
      warning: no live daemon schedules sdoss/ingest: they run only by hand until a host with these stages starts (nocturne hosts)
      "
    `);
  });

  it('says so when nothing is configured', () => {
    expect(formatStatus([])).toBe('no pipelines configured\n');
  });
});
