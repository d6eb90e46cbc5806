import { describe, expect, it } from 'vitest';
import { hostVerdicts } from '../../../src/alerts/evaluate-hosts.js';
import { alertConfig, at, contextOf, host, openIncident, snapshot } from './world.js';

const config = alertConfig({}, { hostStopped: { after: '5m' } });

describe('host_stopped', () => {
  it('is reported by another host once the heartbeat is older than the threshold, naming the stages left to nobody', () => {
    const hosts = [
      host('brahe', '2026-11-22T02:00:00Z', { schedules: ['sdoss/run', 'sdoss/ingest'] }),
      host('tycho', '2026-11-22T02:10:00Z', { schedules: ['sdoss/ingest'] }),
    ];
    const { open } = hostVerdicts(snapshot('2026-11-22T02:10:00Z', { hosts }), contextOf(config));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'host_stopped', subject: 'brahe', pipeline: '', stage: '' });
    expect(open[0]!.summary).toBe(
      'host brahe has written no heartbeat for 10 min (limit 5 min): its daemon died or lost the database without stopping; no live host runs sdoss/run',
    );
  });

  it('says when the daemon stopped cleanly', () => {
    const hosts = [host('brahe', '2026-11-22T02:00:00Z', { stoppedAt: at('2026-11-22T02:00:01Z') })];
    const [opened] = hostVerdicts(snapshot('2026-11-22T02:10:00Z', { hosts }), contextOf(config)).open;
    expect(opened!.summary).toContain('its daemon stopped cleanly at 2026-11-22 02:00 UTC');
  });

  it('never reports the host itself, nor a host within three of its heartbeats', () => {
    const hosts = [host('tycho', '2026-11-22T01:00:00Z'), host('slow', '2026-11-22T02:00:00Z', { heartbeatMs: 300_000 })];
    expect(hostVerdicts(snapshot('2026-11-22T02:10:00Z', { hosts }), contextOf(config)).open).toEqual([]);
  });

  it('resolves when the heartbeat is back, or when the host is no longer registered', () => {
    const open = [openIncident({ kind: 'host_stopped', subject: 'brahe' }), openIncident({ kind: 'host_stopped', subject: 'gone' })];
    const hosts = [host('brahe', '2026-11-22T02:09:30Z')];
    expect(
      hostVerdicts(snapshot('2026-11-22T02:10:00Z', { hosts, open }), contextOf(config)).resolve.map((r) => [r.subject, r.resolution]),
    ).toEqual([
      ['brahe', 'brahe writes its heartbeat again'],
      ['gone', 'gone is no longer registered'],
    ]);
  });

  it('is off when hostStopped.enabled is false', () => {
    const off = alertConfig({}, { hostStopped: { enabled: false } });
    expect(hostVerdicts(snapshot('2026-11-22T02:10:00Z', { hosts: [host('brahe', '2026-11-21T00:00:00Z')] }), contextOf(off)).open).toEqual(
      [],
    );
  });
});
