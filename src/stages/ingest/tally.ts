import type { NocturneError } from '../../core/errors.js';
import type { StageOutcome } from '../types.js';
import type { LoadCounts } from './ledger.js';

/** Counters of one ingest run, and the outcome they make. */
export class Tally {
  files = 0;
  loaded = 0;
  rows = 0;
  inserted = 0;
  updated = 0;
  conflicting = 0;
  skipped = 0;
  rejected = 0;
  quarantined = 0;
  failed = 0;
  /** Files not tried (database down, stop requested): the next run takes them. */
  pending = 0;

  add(counts: LoadCounts): void {
    this.loaded++;
    this.rows += counts.rows;
    this.inserted += counts.inserted;
    this.updated += counts.updated;
    this.conflicting += counts.conflicting;
    this.quarantined += counts.quarantined;
  }

  stats(): Record<string, number> {
    const { files, loaded, rows, inserted, updated, conflicting, skipped, rejected, quarantined, failed, pending } = this;
    return { files, loaded, rows, inserted, updated, conflicting, skipped, rejected, quarantined, failed, pending };
  }

  /** `stopped` is the reason the run ended early (database down, shutdown), if it did. */
  outcome(stopped: NocturneError | undefined, firstError: NocturneError | undefined): StageOutcome {
    const parts = [
      `${this.files} files: ${this.loaded} loaded (${this.rows} rows, ${this.inserted} inserted, ${this.conflicting} already present)`,
      `${this.skipped} skipped`,
      `${this.rejected} rejected`,
    ];
    if (this.quarantined > 0) parts.push(`${this.quarantined} rows quarantined`);
    if (this.failed > 0) parts.push(`${this.failed} failed (still pending)`);
    let summary = parts.join(', ');
    if (stopped) {
      const why = stopped.code === 'ABORTED' ? 'stopped' : 'database unavailable';
      summary += `; ${why}: ${this.pending} files left pending for the next run`;
    }
    const error = stopped ?? firstError;
    return { ok: error === undefined, stats: this.stats(), summary, ...(error ? { error } : {}) };
  }
}
