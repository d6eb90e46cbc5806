import { describe, expect, it } from 'vitest';
import { formatActions, formatHistory } from '../../../src/cli/commands/history.js';
import type { RunRow } from '../../../src/runs/runs.js';

describe('nocturne history', () => {
  it('keeps a run whose error has several lines on one row: the first, and where the others are', () => {
    const started = new Date('2026-11-21T02:00:00Z');
    const run: RunRow = {
      id: 7,
      pipeline: 'sdoss',
      stage: 'run',
      slot: started,
      trigger: 'schedule',
      state: 'failed',
      attempt: 1,
      host: 'tycho',
      pid: 4242,
      holder: null,
      started_at: started,
      finished_at: new Date('2026-11-21T02:00:03Z'),
      stats: {},
      error_code: 'JOB_FAILED',
      error:
        '3 observations failed for good (3 in this run); first: /d/a.fits: exit code 3\n/d/b.fits: exit code 3\n/d/c.fits: exit code 3\n',
    };
    const lines = formatHistory([run]).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      / 3\.0s {2}3 observations failed for good \(3 in this run\); first: \/d\/a\.fits: exit code 3 \(2 more lines: nocturne logs 7\)$/,
    );
  });

  it('lists pauses, resumes and retries after the runs, with who asked and when', () => {
    const at = new Date('2026-11-24T18:02:11Z');
    const base = { pipeline: 'sdoss', askedBy: 'ops@hal', askedAt: at, runId: null };
    expect(
      formatActions([
        { ...base, id: 3, action: 'retry', stage: 'run', details: { items: { run: 2 } }, runId: 41 },
        { ...base, id: 2, action: 'resume', stage: '', details: { lifted: [{}, {}, {}] } },
        { ...base, id: 1, action: 'pause', stage: '', details: { reason: 'telescope maintenance' } },
      ]),
    ).toBe(
      [
        '',
        'ACTION  WHAT    PIPELINE/STAGE  ASKED AT                  BY       DETAIL',
        '#3      retry   sdoss/run       2026-11-24T18:02:11.000Z  ops@hal  run=2 run 41',
        '#2      resume  sdoss           2026-11-24T18:02:11.000Z  ops@hal  3 stage(s) lifted',
        '#1      pause   sdoss           2026-11-24T18:02:11.000Z  ops@hal  telescope maintenance',
        '',
      ].join('\n'),
    );
    expect(formatActions([])).toBe('');
  });

  it('prints what a person typed with its control characters escaped, whatever the database holds', () => {
    const action = { id: 4, action: 'pause' as const, pipeline: 'sdoss', stage: 'run', askedAt: new Date(0), runId: null };
    const text = formatActions([{ ...action, askedBy: 'ops\x1b]0;x\x07@hal', details: { reason: 'a\nb\x1b[31mRED\rCR' } }]);
    expect(text).toContain('ops\\x1b]0;x\\x07@hal  a\\nb\\x1b[31mRED\\rCR\n');
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    expect(text).not.toMatch(/[\x07\x1b\r]/);
  });
});
