/**
 * Wall-clock arithmetic in alerts.timezone, for nights, quiet hours and the times shown
 * in messages. Pure: instants in, instants or text out.
 */

export interface WallClock {
  year: number;
  month: number;
  day: number;
  /** Minutes after midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `timezone` at the instant `at` (one formatter per zone: making one costs far more than using it). */
export function wallClock(at: Date, timezone: string): WallClock {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    minutes: Number(parts['hour']) * 60 + Number(parts['minute']),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The night an instant belongs to: the date on which the night began, a night running
 * from `startsAt` (minutes after midnight, local) to the same time the next day. With
 * 12:00, everything from noon to noon is one night; the default, 00:00, is the calendar day.
 */
export function nightOf(at: Date, timezone: string, startsAt: number): string {
  const local = wallClock(at, timezone);
  // The calendar date, one day back when the instant is before the night's start.
  const date = new Date(Date.UTC(local.year, local.month - 1, local.day - (local.minutes < startsAt ? 1 : 0)));
  return date.toISOString().slice(0, 10);
}

/**
 * When quiet hours that hold `at` end (the next `to`), or null when `at` is outside them.
 * from > to spans midnight ("22:00" to "07:00"); from == to means no quiet hours.
 */
export function quietUntil(at: Date, timezone: string, hours: { from: number; to: number }): Date | null {
  const { from, to } = hours;
  const now = wallClock(at, timezone).minutes;
  const inside = from < to ? now >= from && now < to : from > to && (now >= from || now < to);
  if (!inside) return null;
  // Minutes left until `to`, then corrected for a clock change in between.
  const left = (to - now + 24 * 60) % (24 * 60);
  const naive = new Date(Math.floor(at.getTime() / 60_000) * 60_000 + left * 60_000);
  const drift = ((((wallClock(naive, timezone).minutes - to + 12 * 60) % (24 * 60)) + 24 * 60) % (24 * 60)) - 12 * 60;
  if (drift === 0) return naive;
  const end = new Date(naive.getTime() - drift * 60_000);
  if (drift < 0 || wallClock(end, timezone).minutes === to) return end;
  // `to` fell in the gap of a spring-forward change: the end is the first instant after the
  // gap, the change itself, between `end` (still before it) and `naive` (after it).
  return firstWithOffset(end, naive, utcOffsetMinutes(naive, timezone), timezone);
}

/** How far the wall clock of `timezone` is ahead of UTC at `at`, in minutes. */
function utcOffsetMinutes(at: Date, timezone: string): number {
  const t = wallClock(at, timezone);
  const minute = Math.floor(at.getTime() / 60_000);
  return Date.UTC(t.year, t.month - 1, t.day) / 60_000 + t.minutes - minute;
}

/** The first whole minute in (after, until] at which `timezone` is `offset` ahead of UTC (it is at `until`). */
function firstWithOffset(after: Date, until: Date, offset: number, timezone: string): Date {
  let low = after.getTime() / 60_000;
  let high = until.getTime() / 60_000;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (utcOffsetMinutes(new Date(mid * 60_000), timezone) === offset) high = mid;
    else low = mid;
  }
  return new Date(high * 60_000);
}

/** "2026-11-22 02:14 Europe/Paris". */
export function localText(at: Date, timezone: string): string {
  const t = wallClock(at, timezone);
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(Math.floor(t.minutes / 60))}:${pad(t.minutes % 60)} ${timezone}`;
}

/** "1 h 26 min", "3 min", "2 d 4 h", "40 s". */
export function spanText(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}
