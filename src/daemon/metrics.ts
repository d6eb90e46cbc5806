import type { EventEmitter } from 'node:events';
import type { Counter, Gauge, Registry } from 'prom-client';
import { coerceError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { SchedulerEvents } from '../scheduling/events.js';
import type { MetricsExtension } from './alert-metrics.js';
import { runSeconds, type StageRuns } from './run-summary.js';

/** What the scrape reads fresh each time: the run history is shared by every host. */
export interface MetricsSources {
  version: string;
  summary: () => Promise<Map<string, StageRuns>>;
  /** Pending work of each configured stage, by kind (see pending.ts). */
  pending: () => Promise<{ pipeline: string; stage: string; counts: Record<string, number> }[]>;
  /** More gauges, refreshed at each scrape (alert-metrics.ts). */
  extensions?: MetricsExtension[];
}

/** Stage counters (runs.stats keys) exported as `nocturne_stage_<key>_total`. */
const STAT_COUNTERS = {
  files: 'Files handled by completed stage runs of this process.',
  bytes: 'Bytes handled by completed stage runs of this process.',
  rows: 'Catalogue rows written by completed ingest runs of this process.',
  quarantined: 'Inputs set aside (quarantined) by stage runs of this process.',
  jobs: 'Jobs (one sbatch call or local launch each) submitted by run stages of this process.',
} as const;

/** Counts by label set, kept from the start; a scrape makes its counters from them. */
class Tally<L extends string> {
  readonly #counts = new Map<string, { labels: Record<L, string>; n: number }>();

  add(labels: Record<L, string>, n = 1): void {
    const key = JSON.stringify(labels);
    const entry = this.#counts.get(key) ?? { labels, n: 0 };
    entry.n += n;
    this.#counts.set(key, entry);
  }

  /** Sets `counter` to the counts (prom-client calls collect() at each scrape). */
  fill(counter: Counter<L>): void {
    counter.reset();
    for (const { labels, n } of this.#counts.values()) counter.inc(labels, n);
  }
}

type StageLabels = 'pipeline' | 'stage';

/** The gauges a scrape refreshes from the state database. */
type Gauges = Record<
  'lastSuccess' | 'lastRun' | 'lastDuration' | 'lastOk' | 'running' | 'pending' | 'jobs' | 'waiting' | 'longestWait' | 'dbUp',
  Gauge<string>
>;

/**
 * Prometheus metrics, names `nocturne_*` in base units. Labels are pipeline, stage and
 * small enums only: never file names or job ids. The gauges that describe history are
 * read from PostgreSQL at scrape time, so they survive restarts and cover other hosts.
 * prom-client and its collectors of process metrics load at the first scrape: a daemon
 * that is starting, or that nobody scrapes, does without them.
 */
export class DaemonMetrics {
  readonly #sources: MetricsSources;
  readonly #logger: Logger;
  readonly #runs = new Tally<StageLabels | 'result'>();
  readonly #stats = Object.fromEntries(Object.keys(STAT_COUNTERS).map((key) => [key, new Tally<StageLabels>()])) as Record<
    keyof typeof STAT_COUNTERS,
    Tally<StageLabels>
  >;
  readonly #reloads = new Tally<'result'>();
  #registry: Promise<{ registry: Registry; gauges: Gauges }> | null = null;

  constructor(sources: MetricsSources, logger: Logger) {
    this.#sources = sources;
    this.#logger = logger;
  }

  /** Every metric exported, as registered (built on first use, like a scrape does). */
  async registry(): Promise<Registry> {
    return (await this.#built()).registry;
  }

  #built(): Promise<{ registry: Registry; gauges: Gauges }> {
    this.#registry ??= this.#build();
    return this.#registry;
  }

  /** The registry, made at the first scrape. */
  async #build(): Promise<{ registry: Registry; gauges: Gauges }> {
    const { collectDefaultMetrics, Counter, Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    const sources = this.#sources;
    const registers = [registry];
    // The event-loop-lag histogram samples every 10 ms by default: ~1 % CPU on an idle
    // daemon. Once a second is plenty for a process that mostly waits.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
    // Gauges named like counters, which `promtool check metrics` refuses: each is the sum
    // over `type` of the series without _total, which stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
    new Gauge({ name: 'nocturne_build_info', help: 'Always 1; the version as a label.', labelNames: ['version'], registers }).set(
      { version: sources.version },
      1,
    );
    const stageGauge = (name: string, help: string, extra: string[] = []) =>
      new Gauge({ name, help, labelNames: ['pipeline', 'stage', ...extra], registers });
    const gauges: Gauges = {
      lastSuccess: stageGauge('nocturne_stage_last_success_timestamp_seconds', 'When the stage last ended successfully (any host).'),
      lastRun: stageGauge('nocturne_stage_last_run_timestamp_seconds', 'When the stage last ended, whatever the result (any host).'),
      lastDuration: stageGauge('nocturne_stage_last_run_duration_seconds', 'How long the last ended run of the stage took.'),
      lastOk: stageGauge('nocturne_stage_last_run_success', '1 if the last ended run of the stage succeeded, else 0.'),
      running: stageGauge('nocturne_stage_running', '1 while a run of the stage is live (any host).'),
      pending: stageGauge('nocturne_stage_pending', 'Work waiting for the stage, by kind (see `nocturne status`).', ['kind']),
      jobs: new Gauge({
        name: 'nocturne_jobs',
        help: 'Tasks of unfinished jobs of the run stage, by state.',
        labelNames: ['pipeline', 'state'],
        registers,
      }),
      waiting: new Gauge({
        name: 'nocturne_run_tasks_waiting',
        help: 'Tasks of the run stage waiting in SLURM, by kind: person (held, node drained or down) or queue (their turn).',
        labelNames: ['pipeline', 'kind'],
        registers,
      }),
      longestWait: new Gauge({
        name: 'nocturne_run_longest_wait_seconds',
        help: 'How long the longest-waiting task of the run stage has waited in SLURM, by kind (alert on kind="person").',
        labelNames: ['pipeline', 'kind'],
        registers,
      }),
      dbUp: new Gauge({ name: 'nocturne_state_db_up', help: '1 if the last scrape could read the state database.', registers }),
    };
    const runs = this.#runs;
    new Counter({
      name: 'nocturne_stage_runs_total',
      help: 'Stage executions of this process by result: succeeded, failed, interrupted, skipped, not_run (turned away: slot taken or stage busy elsewhere), error.',
      labelNames: ['pipeline', 'stage', 'result'],
      registers,
      collect() {
        runs.fill(this);
      },
    });
    for (const [key, help] of Object.entries(STAT_COUNTERS)) {
      const tally = this.#stats[key as keyof typeof STAT_COUNTERS];
      new Counter({
        name: `nocturne_stage_${key}_total`,
        help,
        labelNames: ['pipeline', 'stage'],
        registers,
        collect() {
          tally.fill(this);
        },
      });
    }
    const reloads = this.#reloads;
    new Counter({
      name: 'nocturne_config_reloads_total',
      help: 'Configuration reloads by result.',
      labelNames: ['result'],
      registers,
      collect() {
        reloads.fill(this);
      },
    });
    for (const extension of sources.extensions ?? []) extension.register(registry, Gauge);
    return { registry, gauges };
  }

  /** Counts what the scheduler does, as it happens. */
  observe(events: EventEmitter<SchedulerEvents>): void {
    events.on('finished', ({ pipeline, stage, result }) => {
      if (result.kind === 'not-run') return this.#runs.add({ pipeline, stage, result: 'not_run' });
      const { outcome } = result;
      const ended = outcome.ok ? 'succeeded' : outcome.error?.code === 'ABORTED' ? 'interrupted' : 'failed';
      this.#runs.add({ pipeline, stage, result: ended });
      for (const key of Object.keys(STAT_COUNTERS) as (keyof typeof STAT_COUNTERS)[]) {
        const value = outcome.stats[key];
        if (typeof value === 'number' && value > 0) this.#stats[key].add({ pipeline, stage }, value);
      }
    });
    events.on('skipped', ({ pipeline, stage }) => this.#runs.add({ pipeline, stage, result: 'skipped' }));
    events.on('errored', ({ pipeline, stage }) => this.#runs.add({ pipeline, stage, result: 'error' }));
  }

  reloaded(ok: boolean): void {
    this.#reloads.add({ result: ok ? 'applied' : 'refused' });
  }

  /** The text exposition, with the history gauges read fresh. */
  async render(): Promise<{ contentType: string; body: string }> {
    const { registry, gauges } = await this.#built();
    await this.#refresh(gauges);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  async #refresh(g: Gauges): Promise<void> {
    await Promise.all((this.#sources.extensions ?? []).map((e) => e.refresh()));
    let summary: Map<string, StageRuns>;
    let pending: Awaited<ReturnType<MetricsSources['pending']>>;
    try {
      [summary, pending] = await Promise.all([this.#sources.summary(), this.#sources.pending()]);
    } catch (err) {
      // The scrape still answers (process metrics, counters); the stale gauges say when.
      g.dbUp.set(0);
      this.#logger.warn({ err: coerceError(err, 'DB_FAILED', 'metrics') }, 'metrics: state database unreadable');
      return;
    }
    for (const gauge of [g.lastSuccess, g.lastRun, g.lastDuration, g.lastOk, g.running, g.pending, g.jobs, g.waiting, g.longestWait]) {
      gauge.reset();
    }
    g.dbUp.set(1);
    for (const [key, runs] of summary) {
      const [pipeline = '', stage = ''] = key.split('/');
      const labels = { pipeline, stage };
      g.running.set(labels, runs.running ? 1 : 0);
      for (const w of runs.waiting ?? []) {
        g.waiting.set({ pipeline, kind: w.kind }, w.tasks);
        g.longestWait.set({ pipeline, kind: w.kind }, w.longestSeconds);
      }
      if (runs.lastSuccessAt) g.lastSuccess.set(labels, runs.lastSuccessAt.getTime() / 1000);
      const last = runs.last;
      if (!last) continue;
      g.lastRun.set(labels, (last.finished_at ?? last.started_at).getTime() / 1000);
      g.lastOk.set(labels, last.state === 'succeeded' ? 1 : 0);
      const seconds = runSeconds(last);
      if (seconds !== null) g.lastDuration.set(labels, seconds);
    }
    for (const { pipeline, stage, counts } of pending) {
      for (const [kind, n] of Object.entries(counts)) {
        if (kind.startsWith('tasks_')) g.jobs.set({ pipeline, state: kind.slice('tasks_'.length) }, n);
        else g.pending.set({ pipeline, stage, kind }, n);
      }
    }
  }
}
