import { WorkTally } from '../common/tally.js';

/** Counters of one sets-mode ingest run. */
export class SetTally extends WorkTally {
  protected readonly units = 'sets';
  /** Member files listed (init, feat, track), metadata files left out. */
  files = 0;
  /** Listed files that match no pattern of the pipeline (logged once per process, counted every run). */
  unmatched = 0;
  sets = 0;
  loaded = 0;
  /** Loads that replaced an earlier load of the same set (re-emitted with other content). */
  replaced = 0;
  /** Tracking rows removed by a replace because their features are not in the new content. */
  untracked = 0;
  /** Track rows not loaded: they name features their feat file does not list (see load-track.ts). */
  untrackable = 0;
  /** Catalogue rows written (observations, features, tracking rows). */
  rows = 0;
  waiting = 0;
  refused = 0;
  rejected = 0;

  add(rows: Record<string, number>, replaced: boolean): void {
    this.loaded++;
    if (replaced) this.replaced++;
    for (const n of Object.values(rows)) this.rows += n;
  }

  stats(): Record<string, number> {
    const { files, unmatched, sets, loaded, replaced, untracked, untrackable, rows, skipped, waiting, refused, rejected, failed, pending } =
      this;
    // "inserted" as in single-CSV mode: what dashboards and the demo summary read.
    return {
      files,
      unmatched,
      sets,
      loaded,
      replaced,
      untracked,
      untrackable,
      rows,
      inserted: rows,
      skipped,
      waiting,
      refused,
      rejected,
      failed,
      pending,
    };
  }

  protected parts(): string[] {
    const parts = [
      `${this.sets} sets (${this.files} files): ${this.loaded} loaded (${this.rows} rows${this.replaced > 0 ? `, ${this.replaced} replacing an earlier load` : ''})`,
      `${this.skipped} skipped`,
      `${this.waiting} waiting`,
      `${this.rejected} rejected`,
    ];
    if (this.untracked > 0) parts.push(`${this.untracked} tracking rows removed with replaced features`);
    if (this.untrackable > 0) parts.push(`${this.untrackable} track rows naming features their feat file does not list (not loaded)`);
    if (this.unmatched > 0) parts.push(`${this.unmatched} files matching no pattern (ignored)`);
    if (this.refused > 0) parts.push(`${this.refused} refused (re-emitted, kept)`);
    return parts;
  }
}
