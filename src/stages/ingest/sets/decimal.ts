/**
 * Exact decimal arithmetic on numbers as written, for the coercions a pipeline declares
 * (ingest.sets.columns): no binary floating point between the file and the catalogue.
 */

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Most digits a coerced number may have once written plainly. No catalogue column holds
 * more (a bigint has 19), and a file's "1e999999999" would otherwise be written out as a
 * billion zeros.
 */
export const MAX_PLAIN_DIGITS = 1000;

/**
 * `text` × 10^places as a plain decimal ("13578.9", 3 → "13578900"); undefined if `text`
 * is not a number, or not one of at most MAX_PLAIN_DIGITS digits when written plainly.
 */
export function shiftDecimal(text: string, places: number): string | undefined {
  const m = numberParts(text);
  if (!m) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m;
  const digits = `${whole}${fraction}`;
  const point = whole.length + Number(exponent) + places;
  if (Math.max(digits.length, Math.abs(point)) > MAX_PLAIN_DIGITS) return undefined;
  const padded = point <= 0 ? `${'0'.repeat(1 - point)}${digits}` : digits.padEnd(point, '0');
  const at = Math.max(point, 1);
  const intPart = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const fracPart = padded.slice(at).replace(/0+$/, '');
  const out = fracPart === '' ? intPart : `${intPart}.${fracPart}`;
  return /[1-9]/.test(out) ? `${sign === '-' ? '-' : ''}${out}` : '0';
}

/** Whether `text` is a number as a file writes one ("-4.5e-4", "12.", ".5"). */
export function isNumberText(text: string): boolean {
  return numberParts(text) !== undefined;
}

function numberParts(text: string): RegExpExecArray | undefined {
  const m = NUMBER.exec(text);
  return !m || (m[2] === '' && (m[3] ?? '') === '') ? undefined : m;
}

/**
 * A plain decimal made whole: 'truncate' toward zero, 'round' to the nearest with
 * halves away from zero ("-2.5" → "-3").
 */
export function wholeNumber(decimal: string, rule: 'round' | 'truncate'): string {
  const negative = decimal.startsWith('-');
  const [intPart = '0', fracPart = ''] = decimal.replace(/^[+-]/, '').split('.');
  let digits = intPart;
  if (rule === 'round' && fracPart.charCodeAt(0) >= 53) digits = (BigInt(intPart) + 1n).toString();
  return digits === '0' || !negative ? digits : `-${digits}`;
}
