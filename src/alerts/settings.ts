import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { durationMs } from '../config/durations.js';
import { parseFreeSpace, type FreeSpace } from '../config/free-space.js';
import type { AlertsConfig, PipelineAlertsConfig, SecretRef } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';
import { DEFAULTS, type AlertKind } from './kinds.js';

/** The thresholds of one pipeline (or the defaults), durations in milliseconds. */
export interface Thresholds {
  stageFailed: { enabled: boolean };
  slotMissed: { enabled: boolean; graceMs: number };
  workFailed: { enabled: boolean; digestDelayMs: number; updateEveryMs: number };
  workStuck: { enabled: boolean; afterMs: number };
  diskLow: { enabled: boolean; minFree: FreeSpace; text: string };
}

export interface Route {
  name: string;
  /** null: every kind. */
  kinds: ReadonlySet<AlertKind> | null;
  /** null: every pipeline, and incidents of none. */
  pipelines: ((pipeline: string) => boolean) | null;
  /** "email:<address>" and "webhook:<name>". */
  destinations: string[];
  /** Minutes after midnight (alerts.timezone). */
  quietHours: { from: number; to: number } | null;
}

export interface EmailServer {
  host: string;
  port: number;
  security: 'starttls' | 'tls';
  ca?: string;
  user?: string;
  password?: SecretRef;
  from: string;
  timeoutMs: number;
}

export interface WebhookReceiver {
  url: string;
  secret?: SecretRef;
  timeoutMs: number;
}

/** config/nocturne.yaml's alerts section and the pipelines' overrides, compiled. */
export interface AlertSettings {
  /** The name this host goes by (host.name, else the machine's). */
  host: string;
  evaluateEveryMs: number;
  timezone: string;
  /** Minutes after midnight at which a night's digest begins. */
  nightStartsAt: number;
  baseUrl: string | null;
  remindEveryMs: number | null;
  retry: { attempts: number; firstMs: number; maxMs: number };
  email: EmailServer | null;
  webhooks: ReadonlyMap<string, WebhookReceiver>;
  routes: Route[];
  defaults: Thresholds;
  /** Per pipeline, the defaults with its own overrides applied. */
  pipelines: ReadonlyMap<string, Thresholds>;
  unreachable: { enabled: boolean; afterMs: number; databaseAfterMs: number };
  hostStopped: { enabled: boolean; afterMs: number };
}

/** The host name a daemon records (runs.host, hosts.name). */
export function hostName(config: NocturneConfig): string {
  return config.daemon.host.name ?? os.hostname();
}

/** The alert settings, or null when config/nocturne.yaml has no alerts section. */
export function alertSettings(config: NocturneConfig): AlertSettings | null {
  const alerts = config.daemon.alerts;
  if (!alerts) return null;
  const defaults = thresholds(alerts, {});
  const pipelines = new Map([...config.pipelines].map(([name, p]) => [name, thresholds(alerts, p.config.alerts ?? {})]));
  const email = alerts.email;
  return {
    host: hostName(config),
    evaluateEveryMs: durationMs(alerts.evaluateEvery),
    timezone: alerts.timezone,
    nightStartsAt: minutesOf(alerts.nightStartsAt),
    baseUrl: alerts.baseUrl?.replace(/\/+$/, '') ?? null,
    remindEveryMs: alerts.remindEvery === undefined ? null : durationMs(alerts.remindEvery),
    retry: { attempts: alerts.retry.attempts, firstMs: durationMs(alerts.retry.first), maxMs: durationMs(alerts.retry.max) },
    email: email
      ? {
          host: email.host,
          port: email.port,
          security: email.security,
          from: email.from,
          timeoutMs: durationMs(email.timeout),
          ...(email.ca === undefined ? {} : { ca: path.resolve(config.dir, email.ca) }),
          ...(email.user === undefined ? {} : { user: email.user }),
          ...(email.password === undefined ? {} : { password: email.password }),
        }
      : null,
    webhooks: new Map(
      Object.entries(alerts.webhooks).map(([name, hook]) => [
        name,
        { url: hook.url, timeoutMs: durationMs(hook.timeout), ...(hook.secret === undefined ? {} : { secret: hook.secret }) },
      ]),
    ),
    routes: Object.entries(alerts.routes).map(([name, route]) => ({
      name,
      kinds: route.kinds ? new Set(route.kinds) : null,
      pipelines: route.pipelines ? picomatch(route.pipelines) : null,
      destinations: [...(route.email ?? []).map((a) => `email:${a}`), ...(route.webhooks ?? []).map((w) => `webhook:${w}`)],
      quietHours: route.quietHours ? { from: minutesOf(route.quietHours.from), to: minutesOf(route.quietHours.to) } : null,
    })),
    defaults,
    pipelines,
    unreachable: {
      enabled: alerts.unreachable.enabled ?? true,
      afterMs: durationMs(alerts.unreachable.after ?? DEFAULTS.unreachableAfter),
      databaseAfterMs: durationMs(alerts.unreachable.databaseAfter ?? DEFAULTS.databaseAfter),
    },
    hostStopped: {
      enabled: alerts.hostStopped.enabled ?? true,
      afterMs: durationMs(alerts.hostStopped.after ?? DEFAULTS.hostStoppedAfter),
    },
  };
}

/** A pipeline's thresholds, or the defaults for incidents of no pipeline. */
export function thresholdsFor(settings: AlertSettings, pipeline: string): Thresholds {
  return settings.pipelines.get(pipeline) ?? settings.defaults;
}

/** The routes an incident goes to. */
export function routesFor(settings: AlertSettings, kind: AlertKind, pipeline: string): Route[] {
  return settings.routes.filter(
    (r) => (r.kinds === null || r.kinds.has(kind)) && (r.pipelines === null || (pipeline !== '' && r.pipelines(pipeline))),
  );
}

type ThresholdSource = Partial<Omit<AlertsConfig, 'unreachable' | 'hostStopped'>> & PipelineAlertsConfig;

function thresholds(base: AlertsConfig, own: ThresholdSource): Thresholds {
  const pick = <K extends keyof PipelineAlertsConfig>(kind: K) => ({ ...base[kind], ...own[kind] });
  const stageFailed = pick('stageFailed');
  const slotMissed = pick('slotMissed');
  const workFailed = pick('workFailed');
  const workStuck = pick('workStuck');
  const diskLow = pick('diskLow');
  const minFree = diskLow.minFree ?? DEFAULTS.diskLowMinFree;
  return {
    stageFailed: { enabled: stageFailed.enabled ?? true },
    slotMissed: { enabled: slotMissed.enabled ?? true, graceMs: durationMs(slotMissed.grace ?? DEFAULTS.slotMissedGrace) },
    workFailed: {
      enabled: workFailed.enabled ?? true,
      digestDelayMs: durationMs(workFailed.digestDelay ?? DEFAULTS.workFailedDigestDelay),
      updateEveryMs: durationMs(workFailed.updateEvery ?? DEFAULTS.workFailedUpdateEvery),
    },
    workStuck: { enabled: workStuck.enabled ?? true, afterMs: durationMs(workStuck.after ?? DEFAULTS.workStuckAfter) },
    diskLow: { enabled: diskLow.enabled ?? true, minFree: parseFreeSpace(minFree), text: minFree },
  };
}

/** "22:30" → 1350. */
export function minutesOf(time: string): number {
  const [h = 0, m = 0] = time.split(':').map(Number);
  return h * 60 + m;
}
