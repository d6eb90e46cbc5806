import { keyText, type IncidentKey } from './kinds.js';
import { localText, spanText } from './local-time.js';
import { heartbeatLimitMs, hostStopped, openByKey, type EvaluationContext } from './evaluate-stages.js';
import type { StateSnapshot } from './snapshot.js';
import { noVerdicts, type Verdicts } from './verdicts.js';

/**
 * host_stopped: a host whose heartbeat is older than the threshold, reported by any other
 * host. It lists the stages that no live host schedules any more (their slot_missed
 * incidents are left to this one).
 */
export function hostVerdicts(snapshot: StateSnapshot, ctx: EvaluationContext): Verdicts {
  const verdicts = noVerdicts();
  const { settings } = ctx;
  if (!settings.hostStopped.enabled) return verdicts;
  const now = snapshot.observedAt;
  const open = openByKey(snapshot.open);
  const alive = snapshot.hosts.filter((h) => !hostStopped(h, now, settings));
  const present = new Set<string>();
  for (const host of snapshot.hosts) {
    present.add(host.name);
    // A host cannot report itself: its own heartbeat only says the database was slow.
    if (host.name === settings.host) continue;
    const key: IncidentKey = { kind: 'host_stopped', pipeline: '', stage: '', subject: host.name };
    if (!hostStopped(host, now, settings)) {
      if (open.has(keyText(key))) verdicts.resolve.push({ ...key, resolution: `${host.name} writes its heartbeat again` });
      continue;
    }
    const orphaned = host.schedules.filter((s) => !alive.some((h) => h.schedules.includes(s)));
    const how = host.stoppedAt
      ? `its daemon stopped cleanly at ${localText(host.stoppedAt, settings.timezone)}`
      : 'its daemon died or lost the database without stopping';
    const stages = orphaned.length > 0 ? `; no live host runs ${orphaned.join(', ')}` : '';
    verdicts.open.push({
      ...key,
      summary: `host ${host.name} has written no heartbeat for ${spanText(now.getTime() - host.heartbeatAt.getTime())} (limit ${spanText(heartbeatLimitMs(host, settings))}): ${how}${stages}`,
      details: {
        heartbeatAt: host.heartbeatAt.toISOString(),
        stoppedAt: host.stoppedAt?.toISOString() ?? null,
        version: host.version,
        schedules: host.schedules,
        orphaned,
      },
      size: 1,
      notifyDelayMs: 0,
    });
  }
  for (const incident of snapshot.open) {
    if (incident.kind === 'host_stopped' && !present.has(incident.subject)) {
      verdicts.resolve.push({ ...incident, resolution: `${incident.subject} is no longer registered` });
    }
  }
  return verdicts;
}
