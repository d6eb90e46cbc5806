const SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is a date of the calendar written YYYY-MM-DD: 2026-02-30 and 2026-04-31 are not. */
export function isCalendarDate(text: string): boolean {
  if (!SHAPE.test(text)) return false;
  // Date.parse takes day 31 of any month; a real date is the one it prints back unchanged.
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}
