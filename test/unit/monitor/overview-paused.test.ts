import { describe, expect, it } from 'vitest';
import type { OverviewStage } from '../../../src/monitor/data/overview.js';
import { overviewPage } from '../../../src/monitor/pages/overview.js';

const stage: OverviewStage = {
  pipeline: 'sdoss',
  stage: 'run',
  schedule: '0 2 * * *',
  timezone: 'UTC',
  onThisHost: true,
  next: '2026-11-25T02:00:00.000Z',
  running: null,
  last: null,
  lastSuccessAt: null,
  pending: {},
  scheduleText: 'every day at 02:00',
  lastDurationSeconds: null,
  progress: null,
};

const nowCell = (s: OverviewStage) => {
  const page = overviewPage({ generatedAt: s.next!, attentionSince: s.next!, stages: [s], attention: [] }).main.toString();
  return /<td class="now">([\s\S]*?)<\/td>/.exec(page)![1]!;
};

describe('the overview page', () => {
  it('shows a paused stage as paused, by whom and why (escaped), rather than idle', () => {
    expect(nowCell(stage)).toContain('idle');
    const cell = nowCell({ ...stage, paused: { reason: 'dome <repair>', by: 'ops@hal', since: '2026-11-24T18:02:11.000Z' } });
    expect(cell).not.toContain('idle');
    expect(cell).toMatch(/paused<\/span> by ops@hal since .*: dome &lt;repair&gt;/);
  });
});
