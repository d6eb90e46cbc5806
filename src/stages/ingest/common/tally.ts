import type { NocturneError } from '../../../core/errors.js';
import type { StageOutcome } from '../../types.js';

/** Counters both modes keep the same way, and the outcome a run's counters make. */
export abstract class WorkTally {
  skipped = 0;
  /** Not loaded for a reason that is not the input's fault (unreadable file, database error): tried again next run. */
  failed = 0;
  /** Not tried (database down, stop requested): the next run takes them. */
  pending = 0;
  /** Entries of the source that cannot be offered (links, unusable names, unreadable directories: see the log). */
  passedOver = 0;

  /** What the summary calls the units of work: "files", "sets". */
  protected abstract readonly units: string;

  abstract stats(): Record<string, number>;

  /** The summary's parts, failures aside. */
  protected abstract parts(): string[];

  /** `stopped` is the reason the run ended early (database down, shutdown), if it did. */
  outcome(stopped: NocturneError | undefined, firstError: NocturneError | undefined): StageOutcome {
    const parts = this.parts();
    if (this.failed > 0) parts.push(`${this.failed} failed (still pending)`);
    if (this.passedOver > 0) parts.push(`${this.passedOver} passed over (links, unusable names or unreadable directories: see the log)`);
    let summary = parts.join(', ');
    if (stopped) {
      const why = stopped.code === 'ABORTED' ? 'stopped' : 'database unavailable';
      summary += `; ${why}: ${this.pending} ${this.units} left pending for the next run`;
    }
    const error = stopped ?? firstError;
    const stats = { ...this.stats(), passedOver: this.passedOver };
    return { ok: error === undefined, stats, summary, ...(error ? { error } : {}) };
  }
}
