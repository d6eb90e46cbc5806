import { WorkTally } from '../common/tally.js';
import type { LoadCounts } from './ledger.js';

/** Counters of one single-CSV ingest run. */
export class Tally extends WorkTally {
  protected readonly units = 'files';
  files = 0;
  loaded = 0;
  rows = 0;
  inserted = 0;
  updated = 0;
  conflicting = 0;
  rejected = 0;
  quarantined = 0;

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

  protected parts(): string[] {
    const parts = [
      `${this.files} files: ${this.loaded} loaded (${this.rows} rows, ${this.inserted} inserted, ${this.conflicting} already present)`,
      `${this.skipped} skipped`,
      `${this.rejected} rejected`,
    ];
    if (this.quarantined > 0) parts.push(`${this.quarantined} rows quarantined`);
    return parts;
  }
}
