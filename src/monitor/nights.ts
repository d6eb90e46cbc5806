import { STAGES, type StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';
import { localDate } from '../stages/nights.js';

/** A configured stage of a pipeline and the time zone its nights are counted in. */
export interface StageTrack {
  name: string;
  stage: StageName;
  tz: string;
}

/** Every configured (pipeline, stage), of some pipelines only when `only` is given. */
export function stageTracks(config: NocturneConfig, only?: readonly string[]): StageTrack[] {
  return [...config.pipelines]
    .filter(([name]) => !only || only.includes(name))
    .flatMap(([name, p]) => STAGES.filter((s) => p.config[s]).map((stage) => ({ name, stage, tz: p.config[stage]!.timezone })));
}

/**
 * Of the tracks' time zones, the one whose date at `now` is the latest (UTC without
 * tracks): a zone ahead of UTC reaches the next night first, and its runs must show then.
 */
export function newestZone(now: Date, tracks: readonly StageTrack[]): string {
  return (
    tracks.reduce<string | null>((best, t) => (best === null || localDate(now, t.tz) > localDate(now, best) ? t.tz : best), null) ?? 'UTC'
  );
}

/** The `count` nights ending with the night of `now` in `timeZone` (as the stages define nights), newest first. */
export function lastNights(now: Date, timeZone: string, count: number): string[] {
  const newest = localDate(now, timeZone);
  const base = Date.parse(`${newest}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(base - i * 86_400_000).toISOString().slice(0, 10));
}
