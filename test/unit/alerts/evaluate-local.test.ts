import { describe, expect, it } from 'vitest';
import { formatBytes, localVerdicts, type LocalState } from '../../../src/alerts/evaluate-local.js';
import type { IncidentKey } from '../../../src/alerts/kinds.js';
import { alertConfig, at, settingsOf } from './world.js';

const config = alertConfig(
  { sdoss: { stages: { run: { schedule: '0 2 * * *' } }, alerts: { diskLow: { minFree: '50GB' } } } },
  { unreachable: { after: '15m', databaseAfter: '2m' }, diskLow: { minFree: '10%' } },
);
const settings = settingsOf(config);
const GB = 1e9;

function local(parts: Partial<LocalState> = {}): LocalState {
  return { now: at('2026-11-22T02:00:00Z'), databaseDownSince: null, databaseError: null, targets: [], disks: [], ...parts };
}

describe('local incidents (what only this host sees)', () => {
  it('the state database unreachable longer than databaseAfter', () => {
    const down = (since: string) =>
      localVerdicts(local({ databaseDownSince: at(since), databaseError: 'ECONNREFUSED' }), [], settings).open;
    expect(down('2026-11-22T01:58:01Z')).toEqual([]);
    expect(down('2026-11-22T01:58:00Z')).toEqual([
      expect.objectContaining({
        kind: 'unreachable',
        subject: 'database@tycho',
        summary: 'the state database has not answered tycho for 2 min (since 2026-11-22 01:58 UTC): ECONNREFUSED',
      }),
    ]);
  });

  it('a target unreachable longer than after, naming the stages that use it', () => {
    const targets = [
      { name: 'archive', probed: true, downSince: at('2026-11-22T01:45:00Z'), error: 'ECONNREFUSED', stages: ['sdoss/upload'] },
    ];
    const [opened] = localVerdicts(local({ targets }), [], settings).open;
    expect(opened).toMatchObject({ kind: 'unreachable', subject: 'target:archive@tycho' });
    expect(opened!.summary).toContain('used by sdoss/upload');
  });

  it('one disk_low per disk, with the strictest threshold of the directories on it', () => {
    const disks = [
      { path: '/var/lib/nocturne', pipeline: null, device: 1, freeBytes: 40 * GB, totalBytes: 200 * GB },
      { path: '/var/lib/nocturne/outbox/sdoss', pipeline: 'sdoss', device: 1, freeBytes: 40 * GB, totalBytes: 200 * GB },
      { path: '/scratch', pipeline: 'sdoss', device: 2, freeBytes: 60 * GB, totalBytes: 100 * GB },
    ];
    const { open } = localVerdicts(local({ disks }), [], settings);
    // 40 GB is above 10 % of 200 GB for the state directory, but below sdoss's 50 GB.
    expect(open.map((o) => [o.kind, o.pipeline, o.subject])).toEqual([['disk_low', '', 'tycho:/var/lib/nocturne']]);
    expect(open[0]!.summary).toBe(
      'tycho: 37.3 GiB free of 186.3 GiB (20.0%) on the disk of /var/lib/nocturne, /var/lib/nocturne/outbox/sdoss; the threshold is 50GB',
    );
  });

  it("resolves this host's own incidents when they are over, and no other host's", () => {
    const open: IncidentKey[] = [
      { kind: 'unreachable', pipeline: '', stage: '', subject: 'database@tycho' },
      { kind: 'unreachable', pipeline: '', stage: '', subject: 'database@brahe' },
      { kind: 'disk_low', pipeline: '', stage: '', subject: 'tycho:/var/lib/nocturne' },
      { kind: 'unreachable', pipeline: '', stage: '', subject: 'target:old@tycho' },
    ];
    const disks = [{ path: '/var/lib/nocturne', pipeline: null, device: 1, freeBytes: 100 * GB, totalBytes: 200 * GB }];
    expect(localVerdicts(local({ disks }), open, settings).resolve.map((r) => [r.subject, r.resolution])).toEqual([
      ['database@tycho', 'the state database answers again'],
      ['tycho:/var/lib/nocturne', 'free space is back above the threshold'],
      ['target:old@tycho', 'tycho no longer watches it (configuration changed)'],
    ]);
  });

  it('keeps an open incident while the target is not probed yet or down for less than after: a restarted daemon knows nothing yet', () => {
    const open: IncidentKey[] = [
      { kind: 'unreachable', pipeline: '', stage: '', subject: 'target:archive@tycho' },
      { kind: 'unreachable', pipeline: '', stage: '', subject: 'database@tycho' },
    ];
    const target = (probed: boolean, downSince: Date | null) => [
      { name: 'archive', probed, downSince, error: null, stages: ['sdoss/upload'] },
    ];
    const verdicts = (targets: LocalState['targets'], databaseDownSince: Date | null = null) =>
      localVerdicts(local({ targets, databaseDownSince }), open, settings);
    // Just started: no probe has ended yet.
    expect(verdicts(target(false, null)).resolve.map((r) => r.subject)).toEqual(['database@tycho']);
    // Its first probes failed a moment ago: down, for less than the 15 min of after.
    const justNow = at('2026-11-22T01:59:50Z');
    expect(verdicts(target(true, justNow), justNow)).toMatchObject({ open: [], resolve: [] });
    // Answered: resolved.
    expect(verdicts(target(true, null)).resolve.map((r) => [r.subject, r.resolution])).toEqual([
      ['target:archive@tycho', 'the target answers again'],
      ['database@tycho', 'the state database answers again'],
    ]);
  });

  it('formats sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 2 ** 30)]).toEqual(['512 B', '1.5 KiB', '5.0 GiB']);
  });
});
