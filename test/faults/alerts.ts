/**
 * The night's alert messages: what the daemon told the night's address through the rig's
 * postfix, counted against the incidents it recorded and the failures the suite injected.
 */
import { alertCensus, formatCensus, type CensusIncident, type FailureClass } from '../helpers/alert-census.js';
import { mailRig } from '../helpers/mail-rig.js';
import { mailTo } from '../helpers/maildir.js';
import type { Outage } from './chaos.js';
import type { World } from './world.js';

/** A digest's first message waits its delay (20 s): the night's last ones may still be due when it ends. */
const SETTLE_MS = 40_000;

/** Waits until every open incident has been announced and no message waits to be sent; null, or why not. */
export async function alertsSettled(world: World): Promise<string | null> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const { unannounced, unsent } = await world.t.db.one<{ unannounced: number; unsent: number }>(
      `SELECT (SELECT count(*)::int FROM incidents WHERE resolved_at IS NULL AND announced_at IS NULL) AS unannounced,
              (SELECT count(*)::int FROM notifications WHERE state IN ('due', 'sending')) AS unsent`,
    );
    if (unannounced === 0 && unsent === 0) return null;
    if (Date.now() > deadline) {
      return `alerts: ${unannounced} incident(s) not yet announced, ${unsent} message(s) not yet sent ${SETTLE_MS / 1000} s after the night`;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The failure classes of the night: the bad inputs of each pipeline, and the outages of the servers it uses. */
function failureClasses(world: World, outages: readonly Outage[]): FailureClass[] {
  const digest = (pipeline: string, stage: string) => (i: CensusIncident) =>
    i.kind === 'work_failed' && i.pipeline === pipeline && i.stage === stage;
  const down = (service: string) => outages.filter((o) => o.service === service).length;
  return [
    ...world.pipelines.flatMap((p) => [
      { label: `${p.name} failed codes`, match: digest(p.name, 'run'), atLeast: 1, atMost: 1 },
      { label: `${p.name} truncated JPEGs`, match: digest(p.name, 'upload'), atLeast: 1, atMost: 1 },
      { label: `${p.name} bad CSV (${p.badRows})`, match: digest(p.name, 'ingest'), atLeast: 1, atMost: 1 },
      // An outage shorter than what an evaluation can see (or spent restarting after a kill) may go untold.
      {
        label: `${p.protocol === 'sftp' ? 'sshd' : 'vsftpd'} outage (target ${p.name})`,
        match: (i: CensusIncident) => i.kind === 'unreachable' && i.subject === `target:${p.name}@faults`,
        atLeast: 0,
        atMost: down(p.protocol === 'sftp' ? 'sshd' : 'vsftpd'),
      },
    ]),
    {
      label: 'postgres outage',
      match: (i) => i.kind === 'unreachable' && i.subject === 'database@faults',
      atLeast: 0,
      atMost: down('postgres'),
    },
  ];
}

/** Counts the night's messages once postfix has delivered every one the database recorded as sent. */
export async function auditAlerts(
  world: World,
  outages: readonly Outage[],
  kills: number,
): Promise<{ line: string; violations: string[] }> {
  const rig = mailRig();
  const { sent } = await world.t.db.one<{ sent: number }>(`SELECT count(*)::int AS sent FROM notifications WHERE state = 'sent'`);
  const deadline = Date.now() + 10_000;
  let messages = await mailTo(rig.maildir, world.alertsTo);
  // Accepted by postfix before its record: delivered within milliseconds.
  while (new Set(messages.map((m) => m.messageId)).size < sent && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    messages = await mailTo(rig.maildir, world.alertsTo);
  }
  const incidents = await world.t.db.map(
    `SELECT kind, pipeline, stage, subject, resolved_at IS NOT NULL AS resolved,
            CASE WHEN EXISTS (SELECT 1 FROM notifications n WHERE n.incident_id = i.id AND n.event = 'opened' AND n.state <> 'cancelled')
                 THEN 'written'
                 WHEN EXISTS (SELECT 1 FROM notifications n WHERE n.incident_id = i.id AND n.event = 'opened') THEN 'cancelled'
                 ELSE 'none' END AS opening
       FROM incidents i ORDER BY id`,
    [],
    (r: CensusIncident) => r,
  );
  const census = alertCensus(messages, incidents, kills, failureClasses(world, outages));
  const undelivered =
    new Set(messages.map((m) => m.messageId)).size < sent ? [`alerts: ${sent} messages recorded as sent, fewer reached the Maildir`] : [];
  return { line: formatCensus(census, kills), violations: [...undelivered, ...census.violations] };
}
