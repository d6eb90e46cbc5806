import type { Clock } from '../core/clock.js';
import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import { Heartbeat } from '../hosts/heartbeat.js';
import type { Logger } from '../log/logger.js';
import type { Alerting } from './alerting.js';
import { hostName } from './settings.js';
import { scheduledHere } from './stage-specs.js';

/** What the daemon holds of alerting: this host's heartbeat, and the evaluation when configured. */
export interface DaemonAlerting {
  readonly alerting: Alerting | null;
  reload(config: NocturneConfig): void;
  stop(): Promise<void>;
}

/**
 * Registers this host and starts its heartbeat, then alerting if config/nocturne.yaml
 * has an alerts section. Alerting added by a reload waits for a restart.
 */
export async function startDaemonAlerting(deps: {
  db: Db;
  config: NocturneConfig;
  logger: Logger;
  version: string;
  clock?: Clock;
}): Promise<DaemonAlerting> {
  const { db, config, logger, version } = deps;
  const heartbeat = new Heartbeat(
    db,
    {
      name: hostName(config),
      version,
      stages: config.daemon.host.stages,
      schedules: scheduledHere(config),
      heartbeatMs: config.daemon.host.heartbeatMs,
    },
    logger,
  );
  await heartbeat.start();
  // Imported only when configured: the evaluation, the channels and the spool are a dozen modules.
  const alerting = config.daemon.alerts
    ? new (await import('./alerting.js')).Alerting({ db, config, logger, version, ...(deps.clock ? { clock: deps.clock } : {}) })
    : null;
  alerting?.start();
  return {
    alerting,
    reload(next) {
      heartbeat.update(scheduledHere(next));
      if (alerting) alerting.reload(next);
      else if (next.daemon.alerts) logger.warn('alerts: configured by this reload; they start at the next restart');
    },
    async stop() {
      await alerting?.stop();
      await heartbeat.stop();
    },
  };
}
