/**
 * Text a person supplied (a pause reason, a name), as a terminal may be given it: what
 * the database already holds is printed with its control characters escaped, so an ESC,
 * BEL or CR in it cannot recolour, ring or overwrite what status and history show.
 */

// C0 controls (LF, CR, ESC, BEL...), DEL and C1 controls: what a terminal acts on rather than shows.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function hasControl(text: string): boolean {
  return text.search(CONTROL) !== -1;
}

/** "a\nb\x1b[31m" → "a\\nb\\x1b[31m": each control character as its escape, the rest as it is. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** At most `max` characters, an ellipsis saying that more was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** "1 night", "3 nights". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
