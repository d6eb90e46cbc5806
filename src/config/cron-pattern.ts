import { Cron } from 'croner';
import { clipped } from './issues.js';

/**
 * The cron syntax nocturne accepts, parsed here rather than left to croner so that what
 * is accepted is exactly what docs/operating.md documents, every refusal says which
 * field is wrong and how to write it, and the daylight-saving rule is Vixie cron's.
 *
 * Accepted: 5 fields (minute hour day-of-month month day-of-week), or 6 with a seconds
 * field first that selects several seconds. Each field is a comma list of `*`, `*∕n`, a
 * value, a range `a-b` or a stepped range `a-b/n`; months and days of the week may be
 * written as names (jan, mon). Nothing else: no @nicknames, no year field, no Quartz
 * L W # ?.
 */

/** A field: its name in messages and the values it accepts. */
interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted as values, lower case, the first standing for `min`. */
  readonly names?: readonly string[];
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  // 7 is Sunday too, as in Vixie cron.
  { name: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronSyntaxError extends Error {
  override readonly name = 'CronSyntaxError';
}

export interface CronPattern {
  /** How many times a matching minute fires: 1 without a seconds field. */
  readonly firesPerMinute: number;
  /** The equivalent 6-field pattern handed to croner, with options that give it Vixie's meaning. */
  readonly croner: string;
  /** Day-of-month and day-of-week both restrict the day (Vixie: when either starts with `*`). */
  readonly domAndDow: boolean;
}

/** Parses a schedule, or throws CronSyntaxError saying what is wrong and how to write it. */
export function parseCron(text: string): CronPattern {
  const trimmed = text.trim();
  if (trimmed.startsWith('@')) throw new CronSyntaxError(nicknameMessage(trimmed));
  const fields = trimmed.split(/\s+/);
  if (fields.length === 7) {
    throw new CronSyntaxError('7 fields: a year field is not accepted; write 5 fields (minute hour day-of-month month day-of-week)');
  }
  if (fields.length !== 5 && fields.length !== 6) {
    throw new CronSyntaxError(
      `${fields.length} field${fields.length === 1 ? '' : 's'}: write 5 (minute hour day-of-month month day-of-week)`,
    );
  }
  const withSeconds = fields.length === 6;
  const specs = withSeconds ? [SECOND, ...FIELDS] : FIELDS;
  const values = fields.map((field, index) => fieldValues(field, specs[index] as FieldSpec, index + 1));
  if (withSeconds && (values[0] as Set<number>).size === 1) {
    throw new CronSyntaxError(
      `6 fields: the first is then seconds, "${fields[1]}" the minute and "${fields[2]}" the hour; a seconds field is ` +
        `only for schedules that fire several times a minute: write 5 fields (e.g. "${fields.slice(0, 5).join(' ')}")`,
    );
  }
  const written = withSeconds ? fields : ['0', ...fields];
  const selected = withSeconds ? values : [new Set([0]), ...values];
  const list = (i: number) => [...(selected[i] as Set<number>)].join(',');
  // Vixie's DST rule: a job whose time fields (second, minute, hour) all do not start
  // with `*` is a fixed-time job. In the spring gap its slots run at the first valid time
  // after the gap; in the repeated autumn hour they run once, at the first occurrence.
  // Other jobs skip the gap and run in both hours. croner's "no-wildcard" rule calls a
  // field fixed when it has no `*` and no step: writing each fixed field as the list of
  // its values makes the two agree (`0-59/15` is fixed in Vixie, a step in croner).
  // Other fields are written as lists too, so that names and steps mean here what they
  // mean above, and day matching follows domAndDow alone.
  const croner = written.map((field, i) => (i < 3 ? (field.startsWith('*') ? field : list(i)) : field === '*' ? '*' : list(i)));
  const [dom, dow] = [written[3] as string, written[5] as string];
  return {
    firesPerMinute: (selected[0] as Set<number>).size,
    croner: croner.join(' '),
    domAndDow: dom.startsWith('*') || dow.startsWith('*'),
  };
}

function nicknameMessage(text: string): string {
  const equivalent = NICKNAMES[text.toLowerCase()];
  return equivalent === undefined
    ? '@nicknames are not accepted; write 5 fields (minute hour day-of-month month day-of-week)'
    : `@nicknames are not accepted; write its 5 fields instead: "${equivalent}"`;
}

/** The values a field selects, or a CronSyntaxError naming the field. */
function fieldValues(field: string, spec: FieldSpec, position: number): Set<number> {
  const fail = (why: string) => new CronSyntaxError(`field ${position} (${spec.name}) "${clipped(field)}": ${why}`);
  const quartz = /[LW#?]/i.exec(field.replace(/[a-z]{3}/gi, (word) => (spec.names?.includes(word.toLowerCase()) ? '' : word)));
  if (quartz) throw fail("Quartz's L, W, # and ? are not accepted");
  const selected = new Set<number>();
  for (const item of field.split(',')) {
    if (item === '') throw fail('an empty item in the list');
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) throw fail(`"${item}" has two steps`);
    const step = stepText === undefined ? 1 : number(stepText, 'step');
    if (step < 1) throw fail(`step ${stepText} must be at least 1`);
    let low: number;
    let high: number;
    if (range === '*') {
      [low, high] = [spec.min, spec.max];
    } else {
      const [first, last, more] = (range as string).split('-');
      if (more !== undefined || first === '' || last === '') throw fail(`"${range}" is not a value or a range a-b`);
      if (stepText !== undefined && last === undefined) {
        throw fail(`a step needs "*" or a range before it: write "${first}-${spec.max}/${stepText}"`);
      }
      low = value(first as string);
      high = last === undefined ? low : value(last);
      if (high < low) throw fail(`the range ${range} goes backwards`);
    }
    for (let v = low; v <= high; v += step) selected.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return selected;

  function number(text: string, what: string): number {
    if (!/^\d+$/.test(text)) throw fail(`${what} "${text}" is not a whole number`);
    return Number(text);
  }
  function value(text: string): number {
    const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
    const v = named >= 0 ? spec.min + named : /^\d+$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(v)) {
      const names = spec.names === undefined ? '' : ` or a name (${spec.names[0]}-${spec.names[spec.names.length - 1]})`;
      throw fail(`"${text}" is not a number${names}`);
    }
    if (v < spec.min || v > spec.max) throw fail(`${v} is not in ${spec.min}-${spec.max}`);
    return v;
  }
}

/**
 * A paused croner job computing the slots of `pattern` in `timezone` with Vixie's
 * meaning: the scheduler's Schedule and config/schedule-check.ts both build it here, so
 * what validates is what runs. Throws CronSyntaxError.
 */
export function compileCron(pattern: string, timezone: string): { cron: Cron; parsed: CronPattern } {
  const parsed = parseCron(pattern);
  const cron = new Cron(parsed.croner, {
    timezone,
    paused: true,
    mode: '6-part',
    fixedTimeRule: 'no-wildcard',
    domAndDow: parsed.domAndDow,
  });
  return { cron, parsed };
}
