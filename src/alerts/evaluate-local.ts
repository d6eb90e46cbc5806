import type { FreeSpace } from '../config/free-space.js';
import type { IncidentKey } from './kinds.js';
import { localText, spanText } from './local-time.js';
import { thresholdsFor, type AlertSettings } from './settings.js';
import { noVerdicts, type Verdicts } from './verdicts.js';

/** A disk as this host sees it, under one of the directories it watches. */
export interface DiskReading {
  path: string;
  /** The pipeline whose outbox it is; null for the state directory. */
  pipeline: string | null;
  /** Filesystem identity (stat's dev): directories on one disk make one incident. */
  device: number;
  freeBytes: number;
  totalBytes: number;
}

/** What only this host can see: its way to the database and its targets, its disks. */
export interface LocalState {
  now: Date;
  /** Since when the database has not answered, or null. */
  databaseDownSince: Date | null;
  databaseError: string | null;
  /**
   * The targets the stages of this host use, as its probes last found them; `probed` false
   * while no probe has ended yet (a daemon just started knows nothing of them).
   */
  targets: { name: string; probed: boolean; downSince: Date | null; error: string | null; stages: string[] }[];
  disks: DiskReading[];
}

/** Incidents of this host's own view: unreachable database or targets, low disks. */
export function localVerdicts(local: LocalState, open: readonly IncidentKey[], settings: AlertSettings): Verdicts {
  const verdicts = noVerdicts();
  const mine = open.filter(
    (o) =>
      (o.kind === 'unreachable' && o.subject.endsWith(`@${settings.host}`)) ||
      (o.kind === 'disk_low' && o.subject.startsWith(`${settings.host}:`)),
  );
  const settled = new Set<string>();
  const raise = (key: IncidentKey, summary: string, details: Record<string, unknown>) => {
    settled.add(key.subject);
    verdicts.open.push({ ...key, summary, details, size: 1, notifyDelayMs: 0 });
  };
  const { now } = local;
  const tz = settings.timezone;

  if (settings.unreachable.enabled) {
    const since = local.databaseDownSince;
    // Down, even for less than the threshold: an incident already open stays open.
    if (since) settled.add(`database@${settings.host}`);
    if (since && now.getTime() - since.getTime() >= settings.unreachable.databaseAfterMs) {
      raise(
        { kind: 'unreachable', pipeline: '', stage: '', subject: `database@${settings.host}` },
        `the state database has not answered ${settings.host} for ${spanText(now.getTime() - since.getTime())} (since ${localText(since, tz)}): ${local.databaseError ?? 'no answer'}`,
        { since: since.toISOString(), error: local.databaseError },
      );
    }
    for (const target of local.targets) {
      const down = target.downSince;
      // Not probed yet, or down for less than the threshold (a restarted daemon counts anew):
      // an open incident is neither resolved nor raised again.
      if (!target.probed || down) settled.add(`target:${target.name}@${settings.host}`);
      if (!down || now.getTime() - down.getTime() < settings.unreachable.afterMs) continue;
      raise(
        { kind: 'unreachable', pipeline: '', stage: '', subject: `target:${target.name}@${settings.host}` },
        `target "${target.name}" has been unreachable from ${settings.host} for ${spanText(now.getTime() - down.getTime())} (since ${localText(down, tz)}; used by ${target.stages.join(', ')}): ${target.error ?? 'no answer'}`,
        { target: target.name, since: down.toISOString(), error: target.error, stages: target.stages },
      );
    }
  }

  const devices = new Map<number, DiskReading[]>();
  for (const disk of local.disks) devices.set(disk.device, [...(devices.get(disk.device) ?? []), disk]);
  for (const disks of devices.values()) {
    const low = disks.filter((d) => {
      const th = thresholdsFor(settings, d.pipeline ?? '').diskLow;
      return th.enabled && d.freeBytes < requiredBytes(th.minFree, d.totalBytes);
    });
    if (low.length === 0) continue;
    const first = disks[0]!;
    const th = thresholdsFor(settings, low[0]!.pipeline ?? '').diskLow;
    const pipelines = [...new Set(disks.map((d) => d.pipeline))];
    raise(
      {
        kind: 'disk_low',
        pipeline: pipelines.length === 1 ? (pipelines[0] ?? '') : '',
        stage: '',
        subject: `${settings.host}:${first.path}`,
      },
      `${settings.host}: ${formatBytes(first.freeBytes)} free of ${formatBytes(first.totalBytes)} (${percent(first)}) on the disk of ${disks.map((d) => d.path).join(', ')}; the threshold is ${th.text}`,
      { freeBytes: first.freeBytes, totalBytes: first.totalBytes, paths: disks.map((d) => d.path), minFree: th.text },
    );
  }

  const watched = new Set([
    ...local.targets.map((t) => `target:${t.name}@${settings.host}`),
    ...local.disks.map((d) => `${settings.host}:${d.path}`),
  ]);
  for (const incident of mine) {
    if (settled.has(incident.subject)) continue;
    let resolution: string;
    if (incident.subject.startsWith('database@')) resolution = 'the state database answers again';
    else if (!watched.has(incident.subject)) resolution = `${settings.host} no longer watches it (configuration changed)`;
    else resolution = incident.kind === 'disk_low' ? 'free space is back above the threshold' : 'the target answers again';
    verdicts.resolve.push({ ...incident, resolution });
  }
  return verdicts;
}

function requiredBytes(minFree: FreeSpace, totalBytes: number): number {
  return 'bytes' in minFree ? minFree.bytes : (totalBytes * minFree.percent) / 100;
}

function percent(d: DiskReading): string {
  return d.totalBytes === 0 ? '0%' : `${((100 * d.freeBytes) / d.totalBytes).toFixed(1)}%`;
}

/** 1234567890 → "1.1 GiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
