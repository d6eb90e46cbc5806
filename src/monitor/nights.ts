import { STAGES, type StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';

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
 * Nights as the stages define them: the calendar date of a run's slot in its stage's
 * time zone (executeStage's default `date`).
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, format);
  }
  return format;
}

/** YYYY-MM-DD of `instant` in `timeZone`. */
export function nightOf(instant: Date, timeZone: string): string {
  return dateFormat(timeZone).format(instant);
}

/** The `count` nights ending with the night of `now` in `timeZone`, newest first. */
export function lastNights(now: Date, timeZone: string, count: number): string[] {
  const newest = nightOf(now, timeZone);
  const base = Date.parse(`${newest}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(base - i * 86_400_000).toISOString().slice(0, 10));
}

export const NIGHT_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
