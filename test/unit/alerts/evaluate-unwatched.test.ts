import { describe, expect, it } from 'vitest';
import { unwatchedVerdicts } from '../../../src/alerts/evaluate-unwatched.js';
import { stageVerdicts } from '../../../src/alerts/evaluate-stages.js';
import { workVerdicts } from '../../../src/alerts/evaluate-work.js';
import { mergeVerdicts } from '../../../src/alerts/verdicts.js';
import { alertConfig, at, contextOf, history, openIncident, run, snapshot } from './world.js';

/** After a reload: sdoss turned stage_failed and work_stuck off and lost its ingest stage; spoca is not this host's. */
const reloaded = alertConfig({
  sdoss: { stages: { run: { schedule: '0 2 * * *' } }, alerts: { stageFailed: { enabled: false }, workStuck: { enabled: false } } },
});
const open = [
  openIncident({ kind: 'stage_failed', pipeline: 'sdoss', stage: 'run' }),
  openIncident({ kind: 'slot_missed', pipeline: 'sdoss', stage: 'ingest' }),
  openIncident({ kind: 'slot_missed', pipeline: 'sdoss', stage: 'run' }),
  openIncident({ kind: 'work_stuck', pipeline: 'sdoss', stage: 'upload' }),
  openIncident({ kind: 'work_failed', pipeline: 'spoca', stage: 'ingest', subject: '2026-11-20' }),
  openIncident({ kind: 'host_stopped', subject: 'brahe' }),
];

describe('incidents the configuration no longer watches', () => {
  it('are resolved, saying why: a kind turned off, a stage removed; a pipeline this host does not know is left', () => {
    expect(unwatchedVerdicts(open, contextOf(reloaded))).toEqual({
      open: [],
      resolve: [
        {
          kind: 'stage_failed',
          pipeline: 'sdoss',
          stage: 'run',
          subject: '',
          resolution: 'no longer watched: configuration changed (stageFailed turned off for sdoss)',
        },
        {
          kind: 'slot_missed',
          pipeline: 'sdoss',
          stage: 'ingest',
          subject: '',
          resolution: 'no longer watched: configuration changed (sdoss/ingest removed)',
        },
        {
          kind: 'work_stuck',
          pipeline: 'sdoss',
          stage: 'upload',
          subject: '',
          resolution: 'no longer watched: configuration changed (workStuck turned off for sdoss)',
        },
      ],
    });
  });

  it('are resolved once, with that reason, among all the evaluations (a success afterwards changes nothing)', () => {
    const ok = history('sdoss', 'run', { last: run({ state: 'succeeded', finishedAt: at('2026-11-23T02:05:00Z') }) });
    const snap = snapshot('2026-11-23T02:10:00Z', { stages: [ok], open });
    const ctx = contextOf(reloaded);
    const all = mergeVerdicts(stageVerdicts(snap, ctx), workVerdicts(snap, ctx), unwatchedVerdicts(open, ctx));
    expect(all.resolve.map((r) => `${r.kind} ${r.pipeline}/${r.stage}: ${r.resolution}`)).toEqual([
      'stage_failed sdoss/run: no longer watched: configuration changed (stageFailed turned off for sdoss)',
      'slot_missed sdoss/ingest: no longer watched: configuration changed (sdoss/ingest removed)',
      'work_stuck sdoss/upload: no longer watched: configuration changed (workStuck turned off for sdoss)',
    ]);
  });
});
