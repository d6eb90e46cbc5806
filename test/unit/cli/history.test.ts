import { describe, expect, it } from 'vitest';
import { formatHistory } from '../../../src/cli/commands/history.js';
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
      error: '2 observations failed for good (2 in this run); first: /d/a.fits: exit code 3\n/d/a.fits: exit code 3\n/d/b.fits: exit code 3\n',
    };
    const lines = formatHistory([run]).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/ 3\.0s {2}2 observations failed for good \(2 in this run\); first: \/d\/a\.fits: exit code 3 \(2 more lines: nocturne logs 7\)$/);
  });
});
