import { EventEmitter } from 'node:events';
import path from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { coerceError } from '../core/errors.js';
import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { EmailChannel } from './channels/email.js';
import { WebhookChannel } from './channels/webhook.js';
import { localVerdicts, type DiskReading, type LocalState } from './evaluate-local.js';
import { hostVerdicts } from './evaluate-hosts.js';
import { stageVerdicts, type EvaluationContext } from './evaluate-stages.js';
import { unwatchedVerdicts } from './evaluate-unwatched.js';
import { workVerdicts } from './evaluate-work.js';
import { applyVerdicts, writeDueMessages } from './incident-store.js';
import { keyText } from './kinds.js';
import { readDisks, TargetProbes, type TargetProbe } from './local-checks.js';
import type { IncidentView } from './messages.js';
import { MessageSender, type Channels, type SenderEvents } from './sender.js';
import { alertSettings, type AlertSettings } from './settings.js';
import { readSnapshot, type StateSnapshot } from './snapshot.js';
import { Spool } from './spool.js';
import { stageSpecs, watchedDirs, type StageSpec } from './stage-specs.js';
import { mergeVerdicts } from './verdicts.js';

/** How long a stop waits for the evaluation under way (an SMTP server may take its whole deadline). */
const STOP_WAIT_MS = 5_000;

export interface AlertingDeps {
  db: Db;
  /** A configuration with an alerts section. */
  config: NocturneConfig;
  logger: Logger;
  version: string;
  clock?: Clock;
  /** The channels, by destination kind. @default e-mail (nodemailer) and webhooks (fetch) */
  channels?: (settings: AlertSettings) => Channels;
  probe?: TargetProbe;
  disks?: (dirs: readonly { path: string; pipeline: string | null }[]) => Promise<DiskReading[]>;
  /** How long stop() waits for an evaluation under way. @default STOP_WAIT_MS */
  stopWaitMs?: number;
}

/** What one evaluation did. */
export interface TickReport {
  databaseUp: boolean;
  opened: IncidentView[];
  resolved: IncidentView[];
  /** Messages written (database) and sent or failed (database or spool). */
  written: number;
  sent: number;
  failed: number;
  /** Spooled incidents recorded in the database at the start of this tick. */
  flushed: number;
}

export interface AlertingEvents extends SenderEvents {
  tick: [TickReport];
}

/** The channels of the configuration: e-mail when alerts.email is set, and the webhooks. */
export function defaultChannels(settings: AlertSettings, version: string): Channels {
  return {
    ...(settings.email ? { email: new EmailChannel(settings.email) } : {}),
    webhook: new WebhookChannel(settings.webhooks, version),
  };
}

/**
 * The daemon's alerting: every alerts.evaluateEvery, read the state database, decide
 * which incidents are open (pure functions of the snapshot and of this host's own view),
 * record that, write the messages that are due and send them. While the database cannot
 * be read, only this host's own view is judged, and its incidents go to the spool.
 */
export class Alerting {
  readonly events = new EventEmitter<AlertingEvents>();
  readonly #deps: AlertingDeps;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #probes: TargetProbes;
  readonly #spool: Spool;
  readonly #sender: MessageSender;
  readonly #watchingSince: Date;
  #config: NocturneConfig;
  #settings: AlertSettings;
  #channels: Channels;
  #specs: StageSpec[];
  /** Keys of the incidents open in the database when it was last read. */
  #knownOpen = new Set<string>();
  #databaseDownSince: Date | null = null;
  #databaseError: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(deps: AlertingDeps) {
    const settings = alertSettings(deps.config);
    if (!settings) throw coerceError('alerting needs the alerts section of config/nocturne.yaml', 'CONFIG_INVALID');
    this.#deps = deps;
    this.#config = deps.config;
    this.#settings = settings;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger.child({ component: 'alerts' });
    this.#watchingSince = this.#clock.now();
    this.#specs = stageSpecs(deps.config);
    this.#probes = new TargetProbes(this.#logger, deps.probe);
    this.#spool = new Spool(path.join(deps.config.paths.state, 'alerts-spool'), this.#logger);
    this.#channels = this.#makeChannels(settings);
    this.#sender = new MessageSender(deps.db, settings, this.#channels, this.#logger);
    this.#sender.events.on('sent', (e) => this.events.emit('sent', e));
    this.#sender.events.on('failed', (e) => this.events.emit('failed', e));
  }

  get settings(): AlertSettings {
    return this.#settings;
  }

  get spool(): Spool {
    return this.#spool;
  }

  /** Evaluates now, then every alerts.evaluateEvery until stop(). */
  start(): void {
    const loop = () => {
      if (this.#stopped) return;
      this.#ticking = this.tick().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(loop, this.#settings.evaluateEveryMs);
      });
    };
    loop();
  }

  /** A reloaded configuration; one without an alerts section keeps the previous settings. */
  reload(config: NocturneConfig): void {
    const settings = alertSettings(config);
    if (!settings) {
      this.#logger.warn('the reloaded configuration has no alerts section: alerting keeps its previous settings until a restart');
      return;
    }
    this.#config = config;
    this.#settings = settings;
    this.#specs = stageSpecs(config);
    this.#channels = this.#makeChannels(settings);
    this.#sender.settings = settings;
    this.#sender.channels = this.#channels;
  }

  /**
   * Stops evaluating. An evaluation under way gets STOP_WAIT_MS to finish: a send cut
   * off by the exit is sent again by the next process that claims it (the duplicate bound).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#deps.stopWaitMs ?? STOP_WAIT_MS).unref()));
    await Promise.race([Promise.all([this.#ticking, this.#probes.settle()]), late]);
    clearTimeout(timer);
  }

  /** One evaluation; never throws (what fails is logged and tried again next time). */
  async tick(): Promise<TickReport> {
    const report: TickReport = { databaseUp: false, opened: [], resolved: [], written: 0, sent: 0, failed: 0, flushed: 0 };
    try {
      await this.#tick(report);
    } catch (err) {
      this.#logger.error({ err: coerceError(err, 'INTERNAL', 'alerts') }, 'alert evaluation failed');
    }
    this.events.emit('tick', report);
    return report;
  }

  /** Waits for the background probes (tests). */
  settleProbes(): Promise<void> {
    return this.#probes.settle();
  }

  async #tick(report: TickReport): Promise<void> {
    const settings = this.#settings;
    const now = this.#clock.now();
    this.#probes.refresh(this.#config, settings.unreachable.afterMs, now.getTime());
    const disks = await (this.#deps.disks ?? readDisks)(watchedDirs(this.#config)).catch((err: unknown) => {
      this.#logger.warn({ err: coerceError(err) }, 'disk space could not be read');
      return [];
    });
    let snapshot: StateSnapshot | null = null;
    try {
      // What the spool holds is recorded before the snapshot is read, so that it counts.
      report.flushed = await this.#spool.flush(this.#deps.db, settings);
      snapshot = await readSnapshot(this.#deps.db, {
        stages: this.#specs.map(({ pipeline, stage }) => ({ pipeline, stage })),
        timezone: settings.timezone,
        nightStartsAt: settings.nightStartsAt,
      });
      if (this.#databaseDownSince) this.#logger.info('state database readable again');
      this.#databaseDownSince = null;
      this.#databaseError = null;
    } catch (err) {
      const error = coerceError(err, 'DB_FAILED', 'alerts: reading the state database');
      if (!this.#databaseDownSince) {
        this.#logger.warn({ err: error }, 'state database unreadable: only what this host sees itself is judged');
      }
      this.#databaseDownSince ??= now;
      this.#databaseError = error.message;
    }
    const local: LocalState = {
      now,
      databaseDownSince: this.#databaseDownSince,
      databaseError: this.#databaseError,
      targets: this.#probes.states(),
      disks,
    };
    if (snapshot) await this.#withDatabase(snapshot, local, report);
    else await this.#withoutDatabase(local, report);
  }

  async #withDatabase(snapshot: StateSnapshot, local: LocalState, report: TickReport): Promise<void> {
    const settings = this.#settings;
    report.databaseUp = true;
    const ctx: EvaluationContext = {
      settings,
      stages: this.#specs,
      watchingSince: this.#watchingSince,
      unreachableTargets: new Set(local.targets.filter((t) => t.downSince !== null).map((t) => t.name)),
    };
    const verdicts = mergeVerdicts(
      stageVerdicts(snapshot, ctx),
      workVerdicts(snapshot, ctx),
      hostVerdicts(snapshot, ctx),
      localVerdicts(local, snapshot.open, settings),
      unwatchedVerdicts(snapshot.open, ctx),
    );
    const applied = await applyVerdicts(this.#deps.db, verdicts, snapshot.observedAt, settings);
    report.opened = applied.opened;
    report.resolved = applied.resolved;
    const open = new Set(snapshot.open.map(keyText));
    for (const o of applied.opened) open.add(keyText(o));
    for (const r of applied.resolved) open.delete(keyText(r));
    this.#knownOpen = open;
    for (const o of applied.opened) this.#logger.warn({ incident: o.id, kind: o.kind, summary: o.summary }, 'incident opened');
    for (const r of applied.resolved) this.#logger.info({ incident: r.id, kind: r.kind, resolution: r.resolution }, 'incident resolved');
    report.written = await writeDueMessages(this.#deps.db, settings);
    const { sent, failed } = await this.#sender.sendDue();
    report.sent = sent;
    report.failed = failed;
  }

  async #withoutDatabase(local: LocalState, report: TickReport): Promise<void> {
    const settings = this.#settings;
    const verdicts = localVerdicts(local, await this.#spool.openKeys(), settings);
    await this.#spool.apply(verdicts, this.#knownOpen, settings, local.now);
    report.sent = await this.#spool.deliverDue(this.#channels, settings, local.now);
  }

  #makeChannels(settings: AlertSettings): Channels {
    return this.#deps.channels ? this.#deps.channels(settings) : defaultChannels(settings, this.#deps.version);
  }
}
