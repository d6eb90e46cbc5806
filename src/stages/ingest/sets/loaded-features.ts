/** A feature set this run loaded: its load id, and its features' ids by row ordinal or by local id (tracking.featureId). */
export interface LoadedFeatureSet {
  loadId: string;
  ids: ReadonlyMap<string, string>;
}

/** Sets kept: a night's are all here; a campaign's millions keep only the latest. */
const MOST_SETS = 4096;

/**
 * The catalogue ids of the features this run loaded, by set key, kept once their load
 * committed: a track file whose feature sets are all here writes its references
 * without asking the database for them first (see loadTrack()), and its load checks
 * in the same message that each of those loads is still the live one.
 */
export class LoadedFeatures {
  readonly #sets = new Map<string, LoadedFeatureSet>();

  keep(setKey: string, set: LoadedFeatureSet): void {
    this.#sets.delete(setKey);
    this.#sets.set(setKey, set);
    if (this.#sets.size > MOST_SETS) this.#sets.delete(this.#sets.keys().next().value!);
  }

  get(setKey: string): LoadedFeatureSet | undefined {
    return this.#sets.get(setKey);
  }
}
