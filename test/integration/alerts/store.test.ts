import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyVerdicts, writeDueMessages } from '../../../src/alerts/incident-store.js';
import type { IncidentKey } from '../../../src/alerts/kinds.js';
import { alertSettings, type AlertSettings } from '../../../src/alerts/settings.js';
import { ALL_OFF, alertWorld, type AlertWorld } from './world.js';

/** The incident store on the real database: what keeps hosts with views of different ages from contradicting each other. */
describe('recording incidents', () => {
  let w: AlertWorld;
  let settings: AlertSettings;
  beforeAll(async () => {
    w = await alertWorld('alert_store');
    settings = alertSettings(
      w.config({ alerts: { ...ALL_OFF, webhooks: { chat: { url: 'http://127.0.0.1:1/x' } }, routes: { ops: { webhooks: ['chat'] } } } }),
    )!;
  });
  afterAll(() => w.close());

  const now = async () => (await w.t.db.one<{ now: Date }>('SELECT clock_timestamp() AS now')).now;
  const key = (subject: string): IncidentKey => ({ kind: 'host_stopped', pipeline: '', stage: '', subject });
  const open = (k: IncidentKey, notifyDelayMs = 0) => ({
    open: [{ ...k, summary: 's', details: {}, size: 1, notifyDelayMs }],
    resolve: [],
  });
  const resolve = (k: IncidentKey) => ({ open: [], resolve: [{ ...k, resolution: 'over' }] });
  const events = (subject: string) =>
    w.t.db.map(
      `SELECT n.event FROM notifications n JOIN incidents i ON i.id = n.incident_id WHERE i.subject = $1 ORDER BY n.id`,
      [subject],
      (r: { event: string }) => r.event,
    );
  const rows = (subject: string) =>
    w.t.db.map(
      'SELECT resolved_at IS NULL AS open FROM incidents WHERE subject = $1 ORDER BY id',
      [subject],
      (r: { open: boolean }) => r.open,
    );

  it('does not open again what a host with a newer view resolved, nor resolve what a newer view opened', async () => {
    const k = key('stale');
    const before = await now();
    expect((await applyVerdicts(w.t.db, open(k), await now(), settings)).opened).toHaveLength(1);
    // A view from before the opening says it is over: it cannot know.
    expect((await applyVerdicts(w.t.db, resolve(k), before, settings)).resolved).toEqual([]);
    const seenOpen = await now();
    expect((await applyVerdicts(w.t.db, resolve(k), await now(), settings)).resolved).toHaveLength(1);
    // A view from before the resolution still sees it: it is not opened again.
    expect((await applyVerdicts(w.t.db, open(k), seenOpen, settings)).opened).toEqual([]);
    expect(await rows('stale')).toEqual([false]);
    // A view from after it that sees it again: a new incident.
    expect((await applyVerdicts(w.t.db, open(k), await now(), settings)).opened).toHaveLength(1);
    expect(await rows('stale')).toEqual([false, true]);
  });

  it('refreshes what an open incident says without opening it again', async () => {
    const k = key('refresh');
    await applyVerdicts(w.t.db, open(k), await now(), settings);
    const again = await applyVerdicts(
      w.t.db,
      { open: [{ ...k, summary: 'later', details: { n: 2 }, size: 3, notifyDelayMs: 0 }], resolve: [] },
      await now(),
      settings,
    );
    expect(again.opened).toEqual([]);
    expect(await w.t.db.one(`SELECT summary, details, size FROM incidents WHERE subject = 'refresh'`)).toEqual({
      summary: 'later',
      details: { n: 2 },
      size: 3,
    });
  });

  it('an incident over before its first message was due is never told', async () => {
    const k = key('brief');
    await applyVerdicts(w.t.db, open(k, 3_600_000), await now(), settings);
    await writeDueMessages(w.t.db, settings);
    await applyVerdicts(w.t.db, resolve(k), await now(), settings);
    await writeDueMessages(w.t.db, settings);
    expect(await events('brief')).toEqual([]);
  });

  it('writes each message once, however many hosts write what is due at once', async () => {
    const k = key('once');
    await applyVerdicts(w.t.db, open(k), await now(), settings);
    await Promise.all([writeDueMessages(w.t.db, settings), writeDueMessages(w.t.db, settings), writeDueMessages(w.t.db, settings)]);
    expect(await events('once')).toEqual(['opened']);
    await applyVerdicts(w.t.db, resolve(k), await now(), settings);
    expect(await events('once')).toEqual(['opened', 'resolved']);
  });

  it('writes no reminder while the first message is held, and holds only the newest one through quiet hours', async () => {
    const hhmm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16);
    const quiet = alertSettings(
      w.config({
        alerts: {
          ...ALL_OFF,
          timezone: 'UTC',
          remindEvery: '1m',
          webhooks: { chat: { url: 'http://127.0.0.1:1/x' } },
          routes: { ops: { webhooks: ['chat'], quietHours: { from: hhmm(-3_600_000), to: hhmm(3_600_000) } } },
        },
      }),
    )!;
    const messages = () =>
      w.t.db.map(
        `SELECT n.event, n.seq, n.state, n.not_before > now() AS held FROM notifications n JOIN incidents i ON i.id = n.incident_id
          WHERE i.subject = 'quiet' ORDER BY n.id`,
        [],
        (r: { event: string; seq: number; state: string; held: boolean }) => `${r.event} ${r.seq} ${r.state}${r.held ? ' held' : ''}`,
      );
    const minutesLater = (minutes: number) =>
      w.t.db.none(`UPDATE incidents SET announced_at = announced_at - $1 * interval '1 minute' WHERE subject = 'quiet'`, [minutes]);
    await applyVerdicts(w.t.db, open(key('quiet')), await now(), quiet);
    await writeDueMessages(w.t.db, quiet);
    await minutesLater(5);
    await writeDueMessages(w.t.db, quiet);
    expect(await messages()).toEqual(['opened 0 due held']);
    // Its first message went out 4 minutes ago: reminders, each held one superseded by the next.
    await w.t.db.none(
      `UPDATE notifications SET state = 'sent', sent_at = now() - interval '4 minutes'
        WHERE incident_id = (SELECT id FROM incidents WHERE subject = 'quiet')`,
    );
    await writeDueMessages(w.t.db, quiet);
    await minutesLater(2);
    await writeDueMessages(w.t.db, quiet);
    expect(await messages()).toEqual(['opened 0 sent held', 'reminder 5 cancelled held', 'reminder 7 due held']);
  });
});
