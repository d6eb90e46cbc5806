import { describe, expect, it } from 'vitest';
import { FAILED_SETTLE_MS, latestSlot, stageVerdicts } from '../../../src/alerts/evaluate-stages.js';
import { alertConfig, at, contextOf, history, host, openIncident, run, snapshot } from './world.js';

// Nightly at 02:00 UTC; run here, ingest elsewhere (host.stages: [run, upload]).
const config = alertConfig(
  {
    sdoss: { stages: { run: { schedule: '0 2 * * *' }, upload: { schedule: '30 2 * * *' }, ingest: { schedule: '0 4 * * *' } } },
  },
  {},
  { host: { name: 'tycho', stages: ['run', 'upload'] } },
);

describe('stage_failed', () => {
  const failed = (finishedAt: string, extra = {}) =>
    history('sdoss', 'run', {
      last: run({ state: 'failed', finishedAt: at(finishedAt), attempt: 4, error: 'exit code 3\nmore', ...extra }),
    });

  it('opens once a failed run has stayed failed (no retry took it over), naming the attempts and the error', () => {
    const verdicts = stageVerdicts(snapshot('2026-11-22T02:10:00Z', { stages: [failed('2026-11-22T02:09:00Z')] }), contextOf(config));
    const opened = verdicts.open.filter((o) => o.kind === 'stage_failed');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      pipeline: 'sdoss',
      stage: 'run',
      subject: '',
      summary: 'sdoss/run failed after 4 attempts: exit code 3',
    });
    expect(opened[0]!.details).toMatchObject({ run: 7, attempt: 4, error: 'exit code 3\nmore' });
  });

  it('waits while the scheduler may still turn the failure into a retry', () => {
    const finished = new Date(at('2026-11-22T02:10:00Z').getTime() - FAILED_SETTLE_MS + 1000).toISOString();
    const verdicts = stageVerdicts(snapshot('2026-11-22T02:10:00Z', { stages: [failed(finished)] }), contextOf(config));
    expect(verdicts.open.filter((o) => o.kind === 'stage_failed')).toEqual([]);
  });

  it('resolves when the stage succeeds again, and only if it is open', () => {
    const ok = history('sdoss', 'run', { last: run({ state: 'succeeded', finishedAt: at('2026-11-23T02:05:00Z'), id: 9 }) });
    const open = [openIncident({ kind: 'stage_failed', pipeline: 'sdoss', stage: 'run' })];
    expect(stageVerdicts(snapshot('2026-11-23T02:10:00Z', { stages: [ok], open }), contextOf(config)).resolve).toEqual([
      { kind: 'stage_failed', pipeline: 'sdoss', stage: 'run', subject: '', resolution: 'sdoss/run succeeded again (run 9)' },
    ]);
    expect(stageVerdicts(snapshot('2026-11-23T02:10:00Z', { stages: [ok] }), contextOf(config)).resolve).toEqual([]);
  });

  it('is judged only by the hosts that schedule the stage', () => {
    const ingest = history('sdoss', 'ingest', { last: run({ state: 'failed', finishedAt: at('2026-11-22T04:01:00Z') }) });
    const verdicts = stageVerdicts(snapshot('2026-11-22T04:10:00Z', { stages: [ingest] }), contextOf(config));
    expect(verdicts.open.filter((o) => o.kind === 'stage_failed')).toEqual([]);
  });

  it('leaves a stage that could not reach its unreachable target to the unreachable incident', () => {
    const upload = history('sdoss', 'upload', {
      last: run({ state: 'failed', finishedAt: at('2026-11-22T02:35:00Z'), errorCode: 'TRANSFER_FAILED', error: 'connect ECONNREFUSED' }),
    });
    const snap = snapshot('2026-11-22T02:40:00Z', { stages: [upload] });
    expect(
      stageVerdicts(snap, contextOf(config, { unreachableTargets: new Set(['archive']) })).open.filter((o) => o.kind === 'stage_failed'),
    ).toEqual([]);
    // Reachable again (or another cause): the failure is the stage's own.
    expect(stageVerdicts(snap, contextOf(config)).open.filter((o) => o.kind === 'stage_failed')).toHaveLength(1);
  });
});

describe("slot_missed (the dead man's switch)", () => {
  const ctx = contextOf(config, { watchingSince: at('2026-11-20T00:00:00Z') });
  const missed = (s: ReturnType<typeof snapshot>) =>
    stageVerdicts(s, ctx)
      .open.filter((o) => o.kind === 'slot_missed')
      .map((o) => `${o.pipeline}/${o.stage}`);

  // Each stage's run of the day before ended.
  const yesterday = [
    history('sdoss', 'run', { lastDecisiveSlot: at('2026-11-21T02:00:00Z') }),
    history('sdoss', 'upload', { lastDecisiveSlot: at('2026-11-21T02:30:00Z') }),
    history('sdoss', 'ingest', { lastDecisiveSlot: at('2026-11-21T04:00:00Z') }),
  ];

  it('opens for every stage whose last slot passed its grace (1 h) with no run ended, including stages this host does not run', () => {
    expect(missed(snapshot('2026-11-22T02:59:00Z', { stages: yesterday }))).toEqual([]);
    expect(missed(snapshot('2026-11-22T04:59:00Z', { stages: yesterday }))).toEqual(['sdoss/run', 'sdoss/upload']);
    expect(missed(snapshot('2026-11-22T05:00:00Z', { stages: yesterday }))).toEqual(['sdoss/run', 'sdoss/upload', 'sdoss/ingest']);
  });

  it('is quiet for a paused stage (nocturne pause)', () => {
    expect(missed(snapshot('2026-11-22T05:00:00Z', { stages: yesterday, paused: ['sdoss/upload'] }))).toEqual([
      'sdoss/run',
      'sdoss/ingest',
    ]);
  });

  it('says which slot and when the last success was', () => {
    const stages = [history('sdoss', 'run', { lastSuccessAt: at('2026-11-21T02:14:00Z'), lastDecisiveSlot: at('2026-11-21T02:00:00Z') })];
    const [opened] = stageVerdicts(snapshot('2026-11-22T03:00:00Z', { stages }), ctx).open.filter((o) => o.kind === 'slot_missed');
    expect(opened!.summary).toBe(
      'sdoss/run: no run has ended within 1 h of its slot of 2026-11-22 02:00 UTC; last success: 2026-11-21 02:14 UTC',
    );
  });

  it('is quiet while a run of the slot (or a later one) has ended, succeeded or failed', () => {
    const ended = (slot: string) => [
      history('sdoss', 'run', { lastDecisiveSlot: at(slot) }),
      history('sdoss', 'upload', { lastDecisiveSlot: at(slot) }),
      history('sdoss', 'ingest', { lastDecisiveSlot: at(slot) }),
    ];
    expect(missed(snapshot('2026-11-22T05:00:00Z', { stages: ended('2026-11-22T04:00:00Z') }))).toEqual([]);
    expect(missed(snapshot('2026-11-22T05:00:00Z', { stages: ended('2026-11-21T04:00:00Z') }))).toHaveLength(3);
  });

  it('takes a custom grace per pipeline', () => {
    const strict = alertConfig(
      { eit: { stages: { run: { schedule: '0 2 * * *' } }, alerts: { slotMissed: { grace: '10m' } } } },
      { slotMissed: { grace: '3h' } },
    );
    const c = contextOf(strict, { watchingSince: at('2026-11-22T00:00:00Z') });
    expect(stageVerdicts(snapshot('2026-11-22T02:09:00Z'), c).open).toEqual([]);
    expect(stageVerdicts(snapshot('2026-11-22T02:10:00Z'), c).open.map((o) => o.kind)).toEqual(['slot_missed']);
  });

  it('does not count slots from before the stage existed (a new pipeline starts at its next slot)', () => {
    const fresh = contextOf(config, { watchingSince: at('2026-11-22T04:30:00Z') });
    expect(stageVerdicts(snapshot('2026-11-22T05:00:00Z'), fresh).open.filter((o) => o.kind === 'slot_missed')).toEqual([]);
    // ...unless the history shows it ran before.
    const known = [history('sdoss', 'run', { firstSlot: at('2026-10-01T02:00:00Z'), lastDecisiveSlot: at('2026-11-20T02:00:00Z') })];
    expect(stageVerdicts(snapshot('2026-11-22T05:00:00Z', { stages: known }), fresh).open.map((o) => `${o.kind} ${o.stage}`)).toEqual([
      'slot_missed run',
    ]);
  });

  it("leaves a stage whose every scheduling host has stopped to that host's incident", () => {
    const hosts = [
      host('tycho', '2026-11-22T01:00:00Z', { schedules: ['sdoss/run'] }),
      host('brahe', '2026-11-22T04:59:00Z', { schedules: ['sdoss/upload'] }),
    ];
    expect(missed(snapshot('2026-11-22T05:00:00Z', { hosts, stages: yesterday }))).toEqual(['sdoss/upload', 'sdoss/ingest']);
  });

  it('resolves once a run of the missed slot or a later one has ended', () => {
    const open = [openIncident({ kind: 'slot_missed', pipeline: 'sdoss', stage: 'run' })];
    const stages = [history('sdoss', 'run', { lastDecisiveSlot: at('2026-11-22T02:00:00Z') })];
    expect(stageVerdicts(snapshot('2026-11-22T05:00:00Z', { stages, open }), ctx).resolve).toEqual([
      expect.objectContaining({
        kind: 'slot_missed',
        pipeline: 'sdoss',
        stage: 'run',
        resolution: 'a run of sdoss/run for the slot of 2026-11-22 02:00 UTC has ended',
      }),
    ]);
  });

  it("finds the newest slot at or before an instant, in the stage's time zone", () => {
    const paris = { schedule: '0 2 * * *', timezone: 'Europe/Paris' };
    expect(latestSlot(paris, at('2026-11-22T01:00:00Z'))).toEqual(at('2026-11-22T01:00:00Z'));
    expect(latestSlot(paris, at('2026-11-22T00:59:59Z'))).toEqual(at('2026-11-21T01:00:00Z'));
  });

  it('reads the pattern as the scheduler does: day of month and day of week both restricted means both (Vixie cron)', () => {
    // Mondays on an odd day of the month: 2026-12-21 and 2026-12-07, never the days between.
    expect(latestSlot({ schedule: '0 2 */2 * mon', timezone: 'UTC' }, at('2026-12-29T12:00:00Z'))).toEqual(at('2026-12-21T02:00:00Z'));
    // No wildcard in its time fields: a fixed-time job, whose 02:xx slot in the spring gap runs at 03:00 local.
    const gap = latestSlot({ schedule: '0-59/20 2 * * *', timezone: 'Europe/Paris' }, at('2026-03-29T01:30:00Z'));
    expect(gap).toEqual(at('2026-03-29T01:00:00Z'));
  });
});
