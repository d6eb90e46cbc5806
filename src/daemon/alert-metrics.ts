import type { Gauge, Registry } from 'prom-client';
import { latestSlot } from '../alerts/evaluate-stages.js';
import { ALERT_KINDS } from '../config/schema.js';
import { alertSettings, minutesOf } from '../alerts/settings.js';
import { countFailed, readStages } from '../alerts/snapshot.js';
import { stageSpecs } from '../alerts/stage-specs.js';
import type { NocturneConfig } from '../config/types.js';
import { coerceError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';

/** Gauges a scrape refreshes beside DaemonMetrics' own. */
export interface MetricsExtension {
  /** Called at the first scrape, with prom-client's Gauge (loaded then, not at start). */
  register(registry: Registry, gauge: typeof Gauge): void;
  /** Reads what the gauges show; never throws (a failure leaves them as they were, and is logged). */
  refresh(): Promise<void>;
}

export interface AlertMetricsSources {
  config: () => NocturneConfig;
  db: () => Db;
}

/**
 * What the Prometheus rules of monitoring/ need beyond the stage gauges, so that the
 * observatory is warned even when nocturne's own alerting cannot be (every daemon down,
 * the database gone, no message delivered): when each stage's last slot was due and
 * which slot its last ended run was for, the failed items of the last nights, open
 * incidents, hosts' heartbeats and undelivered messages. Read from PostgreSQL at scrape
 * time, like the other history gauges, so any daemon tells about every host.
 */
export class AlertMetrics implements MetricsExtension {
  readonly #sources: AlertMetricsSources;
  readonly #logger: Logger;
  #gauges: ReturnType<typeof makeGauges> | null = null;

  constructor(sources: AlertMetricsSources, logger: Logger) {
    this.#sources = sources;
    this.#logger = logger;
  }

  register(registry: Registry, gauge: typeof Gauge): void {
    this.#gauges = makeGauges(registry, gauge);
  }

  async refresh(): Promise<void> {
    const g = this.#gauges;
    if (!g) return;
    const config = this.#sources.config();
    const specs = stageSpecs(config);
    const now = new Date();
    // The schedule alone, no database: it still says when slots were due while the database is down.
    g.dueSlot.reset();
    for (const spec of specs) {
      const due = latestSlot(spec, now);
      if (due) g.dueSlot.set({ pipeline: spec.pipeline, stage: spec.stage }, due.getTime() / 1000);
    }
    const settings = alertSettings(config);
    try {
      const db = this.#sources.db();
      const [histories, failed, incidents, hosts, messages] = await Promise.all([
        readStages(
          db,
          specs.map(({ pipeline, stage }) => ({ pipeline, stage })),
        ),
        countFailed(db, { timezone: settings?.timezone ?? 'UTC', nightStartsAt: settings?.nightStartsAt ?? minutesOf('00:00') }),
        db.any<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM incidents WHERE resolved_at IS NULL GROUP BY kind`),
        db.any<{ name: string; at: Date }>('SELECT name, heartbeat_at AS at FROM hosts'),
        db.any<{ state: string; n: number }>(
          `SELECT state, count(*)::int AS n FROM notifications WHERE created_at > now() - interval '7 days' GROUP BY state`,
        ),
      ]);
      for (const gauge of [g.endedSlot, g.rejected, g.incidents, g.heartbeat, g.messages]) gauge.reset();
      for (const h of histories) {
        if (h.lastDecisiveSlot) g.endedSlot.set({ pipeline: h.pipeline, stage: h.stage }, h.lastDecisiveSlot.getTime() / 1000);
      }
      for (const f of failed) g.rejected.set({ pipeline: f.pipeline, stage: f.stage, type: f.type }, f.n);
      for (const kind of ALERT_KINDS) g.incidents.set({ kind }, incidents.find((i) => i.kind === kind)?.n ?? 0);
      for (const h of hosts) g.heartbeat.set({ host: h.name }, h.at.getTime() / 1000);
      for (const state of ['due', 'sending', 'sent', 'failed', 'cancelled']) {
        g.messages.set({ state }, messages.find((m) => m.state === state)?.n ?? 0);
      }
    } catch (err) {
      this.#logger.warn({ err: coerceError(err, 'DB_FAILED', 'alert metrics') }, 'metrics: alert gauges not refreshed');
    }
  }
}

function makeGauges(registry: Registry, GaugeClass: typeof Gauge) {
  const registers = [registry];
  const stage = (name: string, help: string) => new GaugeClass({ name, help, labelNames: ['pipeline', 'stage'], registers });
  return {
    dueSlot: stage(
      'nocturne_stage_last_due_slot_timestamp_seconds',
      "The newest slot of the stage's schedule that has come (any host runs it or not).",
    ),
    endedSlot: stage(
      'nocturne_stage_last_ended_slot_timestamp_seconds',
      'The slot of the newest run of the stage that succeeded or failed (any host).',
    ),
    rejected: new GaugeClass({
      name: 'nocturne_rejected_items',
      help: 'Items failed for good in the last 7 nights and not made good since (what the work_failed digests list), by type: observation, file, set, rows, quicklook.',
      labelNames: ['pipeline', 'stage', 'type'],
      registers,
    }),
    incidents: new GaugeClass({
      name: 'nocturne_incidents_open',
      help: 'Open incidents of alerting, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    heartbeat: new GaugeClass({
      name: 'nocturne_host_heartbeat_timestamp_seconds',
      help: 'When each host last wrote its heartbeat (hosts table).',
      labelNames: ['host'],
      registers,
    }),
    messages: new GaugeClass({
      name: 'nocturne_alert_messages',
      help: 'Alert messages of the last 7 days by state: due, sending, sent, failed (given up: people were not told), cancelled.',
      labelNames: ['state'],
      registers,
    }),
  };
}
