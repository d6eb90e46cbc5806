import { describe, expect, it } from 'vitest';
import { renderMessage, testMessage, type IncidentView } from '../../../src/alerts/messages.js';
import { alertConfig, at, settingsOf } from './world.js';

const settings = settingsOf(alertConfig({}, { baseUrl: 'https://nocturne.example.org/', timezone: 'Europe/Paris' }));
const failed: IncidentView = {
  id: 42,
  kind: 'stage_failed',
  pipeline: 'sdoss',
  stage: 'run',
  subject: '',
  summary: 'sdoss/run failed after 4 attempts: 3 of 200 observations failed',
  details: { run: 1234, slot: '2026-11-22T01:00:00.000Z' },
  size: 1,
  openedAt: at('2026-11-22T01:14:00Z'),
  openedBy: 'tycho',
  resolvedAt: null,
  resolution: null,
};

describe('messages', () => {
  it('an opening: subject, plain-text body with the run and a link, and the webhook payload', () => {
    const m = renderMessage(failed, 'opened', { settings, now: at('2026-11-22T01:14:00Z'), routes: ['sysadmins'] });
    expect(m.subject).toBe('[nocturne] stage failed: sdoss/run');
    expect(m.body).toMatchInlineSnapshot(`
      "sdoss/run failed after 4 attempts: 3 of 200 observations failed

      Opened:   2026-11-22 02:14 Europe/Paris, noticed by tycho
      Run:      1234 (\`nocturne logs 1234\`)
      Incident: 42; \`nocturne incidents\` lists them
      Link:     https://nocturne.example.org/runs/1234

      Sent by nocturne on tycho through route sysadmins of config/nocturne.yaml.
      "
    `);
    expect(m.payload).toMatchObject({
      version: 1,
      event: 'opened',
      link: 'https://nocturne.example.org/runs/1234',
      host: 'tycho',
      routes: ['sysadmins'],
      incident: { id: 42, kind: 'stage_failed', pipeline: 'sdoss', stage: 'run', subject: null, size: 1, resolvedAt: null },
    });
    expect(m.payload.text).toBe(
      'stage failed: sdoss/run\nsdoss/run failed after 4 attempts: 3 of 200 observations failed\nhttps://nocturne.example.org/runs/1234',
    );
  });

  it('a resolution says how long it lasted and why it is over', () => {
    const resolved = { ...failed, resolvedAt: at('2026-11-23T01:40:00Z'), resolution: 'sdoss/run succeeded again (run 1240)' };
    const m = renderMessage(resolved, 'resolved', { settings, now: at('2026-11-23T01:40:00Z'), routes: ['sysadmins', 'all'] });
    expect(m.subject).toBe('[nocturne] RESOLVED stage failed: sdoss/run');
    expect(m.body.split('\n').slice(0, 4)).toEqual([
      'Resolved: sdoss/run succeeded again (run 1240). It was: sdoss/run failed after 4 attempts: 3 of 200 observations failed',
      '',
      'Opened:   2026-11-22 02:14 Europe/Paris, noticed by tycho',
      'Resolved: 2026-11-23 02:40 Europe/Paris after 24 h 26 min: sdoss/run succeeded again (run 1240)',
    ]);
    expect(m.payload.incident?.resolution).toBe('sdoss/run succeeded again (run 1240)');
  });

  it('a digest lists every item in the e-mail, and the first 20 in the chat text', () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ type: 'file', name: `/csv/f${i}.csv`, reason: `f${i}.csv:2:3: not a number` }));
    const digest: IncidentView = {
      ...failed,
      kind: 'work_failed',
      stage: 'ingest',
      subject: '2026-11-21',
      summary: 'sdoss/ingest, night of 2026-11-21: 30 rejected files',
      details: { count: 30, items },
      size: 30,
    };
    const m = renderMessage(digest, 'opened', { settings, now: at('2026-11-22T05:00:00Z'), routes: ['science'] });
    expect(m.subject).toBe('[nocturne] work failed: sdoss/ingest, night of 2026-11-21 (30 items)');
    expect(m.body).toContain('  - file /csv/f0.csv: f0.csv:2:3: not a number\n');
    expect(m.body).toContain('  - file /csv/f29.csv: f29.csv:2:3: not a number\n');
    expect(m.payload.text.split('\n')).toHaveLength(2 + 20 + 1 + 1);
    expect(m.payload.text).toContain('… and 10 more');
    const update = renderMessage({ ...digest, size: 35 }, 'update', {
      settings,
      now: at('2026-11-22T06:00:00Z'),
      routes: ['science'],
      previousSize: 30,
    });
    expect(update.body.split('\n')[0]).toBe('sdoss/ingest, night of 2026-11-21: 30 rejected files (5 more since the last message)');
  });

  it('the test message of a route', () => {
    const m = testMessage('sysadmins', settings, at('2026-11-22T10:00:00Z'));
    expect(m.subject).toBe('[nocturne] test of route sysadmins');
    expect(m.payload).toMatchObject({ event: 'test', incident: null, routes: ['sysadmins'] });
  });
});
