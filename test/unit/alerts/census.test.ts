import { describe, expect, it } from 'vitest';
import { alertCensus, type FailureClass } from '../../helpers/alert-census.js';
import type { MailMessage } from '../../helpers/maildir.js';

const mail = (subject: string, id: string): MailMessage => ({
  file: id,
  headers: new Map(),
  to: 'x@nocturne.test',
  subject,
  messageId: `<${id}>`,
  body: '',
});
const digest = { kind: 'work_failed', pipeline: 'fault-ftp', stage: 'run', subject: '2026-11-21', opening: 'written' } as const;
const db = { kind: 'unreachable', pipeline: '', stage: '', subject: 'database@faults', opening: 'written' } as const;
const failedCodes: FailureClass = {
  label: 'failed codes',
  match: (i) => i.kind === 'work_failed' && i.stage === 'run',
  atLeast: 1,
  atMost: 1,
};
const postgres: FailureClass = { label: 'postgres outage', match: (i) => i.subject.startsWith('database@'), atLeast: 0, atMost: 1 };
const jpegs: FailureClass = {
  label: 'truncated JPEGs',
  match: (i) => i.kind === 'work_failed' && i.stage === 'upload',
  atLeast: 1,
  atMost: 1,
};

describe("the census of a night's alert messages", () => {
  it('counts distinct messages per incident and repeated copies apart', () => {
    const messages = [
      mail('[nocturne] work failed: fault-ftp/run, night of 2026-11-21 (5 items)', 'a'),
      mail('[nocturne] unreachable: database@faults', 'b'),
      mail('[nocturne] unreachable: database@faults', 'b'),
      mail('[nocturne] UPDATE work failed: fault-ftp/run, night of 2026-11-21 (8 items)', 'c'),
      mail('[nocturne] RESOLVED unreachable: database@faults', 'd'),
    ];
    const census = alertCensus(
      messages,
      [
        { ...digest, resolved: false },
        { ...db, resolved: true },
      ],
      1,
      [failedCodes, postgres],
    );
    expect(census.violations).toEqual([]);
    expect(census.classes).toEqual([
      { label: 'failed codes', incidents: 1 },
      { label: 'postgres outage', incidents: 1 },
    ]);
    expect(census.duplicates).toBe(1);
    expect(census.incidents).toEqual([
      { title: 'unreachable: database@faults', opened: 1, resolved: 1, updates: 0, reminders: 0 },
      { title: 'work failed: fault-ftp/run, night of 2026-11-21', opened: 1, resolved: 0, updates: 1, reminders: 0 },
    ]);
  });

  it('finds an incident told twice, one never closed, a message about nothing recorded, a class missing or not injected, too many duplicates', () => {
    const messages = [
      mail('[nocturne] work failed: fault-ftp/run, night of 2026-11-21 (5 items)', 'a'),
      mail('[nocturne] work failed: fault-ftp/run, night of 2026-11-21 (6 items)', 'b'),
      mail('[nocturne] unreachable: database@faults', 'c'),
      mail('[nocturne] unreachable: database@faults', 'c'),
      mail('[nocturne] host stopped: brahe', 'e'),
    ];
    const census = alertCensus(
      messages,
      [
        { ...digest, resolved: false },
        { ...db, resolved: true },
      ],
      0,
      [failedCodes, jpegs],
    );
    expect(census.violations).toEqual([
      'alerts: work failed: fault-ftp/run, night of 2026-11-21: 2 opening message(s) for 1 incident(s)',
      'alerts: unreachable: database@faults: 0 "resolved" message(s) for 1 resolved incident(s)',
      'alerts: a message about "host stopped: brahe", which no incident records',
      'alerts: truncated JPEGs: 0 incident(s), expected 1',
      'alerts: incident "unreachable: database@faults" is of no injected failure class',
      'alerts: 1 duplicate message(s), more than the bound of 0 (one per kill)',
    ]);
  });

  it('counts an incident resolved before its opening went out as told by its resolved message alone, and one never due as told nothing', () => {
    const sftp = { kind: 'unreachable', pipeline: '', stage: '', subject: 'target:fault-sftp@faults' };
    const messages = [mail('[nocturne] RESOLVED unreachable: database@faults', 'a')];
    const told = alertCensus(
      messages,
      [
        { ...db, resolved: true, opening: 'cancelled' },
        { ...sftp, resolved: true, opening: 'none' },
      ],
      0,
    );
    expect(told.violations).toEqual([]);
    // Open, it must have been announced; a cancelled opening's resolved message must be there.
    const untold = alertCensus(
      [],
      [
        { ...db, resolved: true, opening: 'cancelled' },
        { ...sftp, resolved: false, opening: 'none' },
      ],
      0,
    );
    expect(untold.violations).toEqual([
      'alerts: unreachable: database@faults: 0 "resolved" message(s) for 1 resolved incident(s)',
      'alerts: unreachable: target:fault-sftp@faults: 1 open incident(s) with no opening message written',
    ]);
  });

  // The fault suite's night: the spool sent the opening, a kill came before it recorded
  // the send, the incident was recorded with its opening due, and resolved before the
  // database's sender sent it again.
  it('counts a cancelled opening that went out before a kill as a copy, against the bound', () => {
    const messages = [mail('[nocturne] unreachable: database@faults', 'a'), mail('[nocturne] RESOLVED unreachable: database@faults', 'b')];
    const incidents = [{ ...db, resolved: true, opening: 'cancelled' as const }];
    const withinBound = alertCensus(messages, incidents, 1);
    expect(withinBound.violations).toEqual([]);
    expect(withinBound.duplicates).toBe(1);
    expect(alertCensus(messages, incidents, 0).violations).toEqual([
      'alerts: 1 duplicate message(s), more than the bound of 0 (one per kill)',
    ]);
    // Two openings for one cancelled one: one too many whatever the kills.
    const twice = [...messages, mail('[nocturne] unreachable: database@faults', 'c')];
    expect(alertCensus(twice, incidents, 5).violations).toEqual([
      'alerts: unreachable: database@faults: 2 opening message(s) for 0 incident(s)',
    ]);
  });
});
