import { createLogger } from '../../../src/log/logger.js';
import { Scheduler, type SchedulerDeps } from '../../../src/scheduling/scheduler.js';
import { FakeRuns } from './fake-runs.js';
import { FakeTime } from './fake-time.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose JSON lines land in `lines`. */
export function captureLogger() {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  return { logger, lines };
}

/** A scheduler on fake time, fake runs and a captured log. */
export function harness(start: string, options: Partial<SchedulerDeps> = {}) {
  const time = new FakeTime(new Date(start));
  const runs = new FakeRuns(time);
  const { logger, lines } = captureLogger();
  const sleeps = { longestMs: 0 };
  const scheduler = new Scheduler({
    clock: time.clock,
    sleep: (ms, signal) => {
      sleeps.longestMs = Math.max(sleeps.longestMs, ms);
      return time.sleep(ms, signal);
    },
    ledger: runs,
    execute: (...args) => runs.execute(...args),
    logger,
    random: () => 0.5,
    ...options,
  });
  return { time, runs, scheduler, lines, sleeps };
}
