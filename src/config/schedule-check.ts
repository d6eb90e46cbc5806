import { compileCron, CronSyntaxError } from './cron-pattern.js';
import { closest } from './did-you-mean.js';
import { clipped, problem, warning, type DocPath, type Problem } from './issues.js';
import { runStageSchema } from './schema.js';

/** A stage's time zone when none is given, as the schema fills it in. */
const DEFAULT_ZONE = runStageSchema.shape.timezone.parse(undefined);

/** Zones already asked about: ICU builds a whole formatter to answer, for every stage. */
const knownZones = new Map<string, boolean>();

export function isTimeZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    knownZones.set(zone, known);
  }
  return known;
}

/**
 * A stage's `timezone` and `schedule`, checked by building the croner job the scheduler
 * builds (compileCron: same syntax, same DST rule), so what passes here also starts there.
 */
export function scheduleProblems(stage: Record<string, unknown>, at: DocPath): Problem[] {
  const problems: Problem[] = [];
  const zone = stage['timezone'] ?? DEFAULT_ZONE;
  let usableZone = DEFAULT_ZONE;
  if (typeof zone === 'string') {
    if (isTimeZone(zone)) {
      usableZone = zone;
    } else {
      const match = closest(zone, Intl.supportedValuesOf('timeZone'));
      const hint = match === undefined ? ' (an IANA name such as Europe/Paris or UTC)' : `; did you mean "${match}"?`;
      problems.push(problem([...at, 'timezone'], 'value', `unknown IANA time zone "${clipped(zone)}"${hint}`));
    }
  }
  const pattern = stage['schedule'];
  if (typeof pattern === 'string' && pattern !== '') problems.push(...cronProblems(pattern, usableZone, [...at, 'schedule']));
  return problems;
}

/** What is wrong with a schedule in a zone: the same for every stage that has it. */
type Verdict = { kind: 'error' | 'warning'; message: string } | null;

/** Schedules already judged, by zone and pattern: pipelines mostly share a few. */
const verdicts = new Map<string, Verdict>();

function cronProblems(pattern: string, timezone: string, at: DocPath): Problem[] {
  const key = `${timezone}\0${pattern}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = judge(pattern, timezone);
    verdicts.set(key, verdict);
  }
  if (verdict === null) return [];
  return [verdict.kind === 'error' ? problem(at, 'value', verdict.message) : warning(at, 'value', verdict.message)];
}

function judge(pattern: string, timezone: string): Verdict {
  let compiled: ReturnType<typeof compileCron>;
  try {
    compiled = compileCron(pattern, timezone);
  } catch (err) {
    // After parseCron, croner has nothing left to refuse; its message is kept should it still.
    const why = err instanceof CronSyntaxError ? err.message : String(err instanceof Error ? err.message : err).replace(/^Cron\w*: /, '');
    return { kind: 'error', message: `invalid cron expression "${clipped(pattern)}": ${why}` };
  }
  // Valid fields can still describe no date at all, such as 30 February.
  if (compiled.cron.nextRun() === null) return { kind: 'error', message: `cron expression "${pattern}" never fires` };
  const times = compiled.parsed.firesPerMinute;
  if (times === 1) return null;
  return { kind: 'warning', message: `"${pattern}" fires ${times} times a minute (its first field is seconds): too often for a pipeline` };
}
