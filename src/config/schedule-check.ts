import { Cron } from 'croner';
import { closest } from './did-you-mean.js';
import { problem, type DocPath, type Problem } from './issues.js';
import { runStageSchema } from './schema.js';

/** A stage's time zone when none is given, as the schema fills it in. */
const DEFAULT_ZONE = runStageSchema.shape.timezone.parse(undefined);

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A stage's `timezone` and `schedule`, checked the way the scheduler will use them:
 * croner built paused with the zone, so what passes here also starts there.
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
      problems.push(problem([...at, 'timezone'], 'value', `unknown IANA time zone "${zone}"${hint}`));
    }
  }
  const schedule = stage['schedule'];
  if (typeof schedule === 'string' && schedule !== '') {
    const why = cronError(schedule, usableZone);
    if (why !== undefined) problems.push(problem([...at, 'schedule'], 'value', why));
  }
  return problems;
}

function cronError(pattern: string, timezone: string): string | undefined {
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, timezone });
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/^Cron\w*: /, '').replace(/\.$/, '');
    return `invalid cron expression "${pattern}": ${why.charAt(0).toLowerCase()}${why.slice(1)}`;
  }
  const next = cron.nextRun();
  cron.stop();
  // Valid fields can still describe no date at all, such as 30 February.
  return next === null ? `cron expression "${pattern}" never fires` : undefined;
}
