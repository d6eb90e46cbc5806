/**
 * Exact decimal arithmetic on numbers as written, for the coercions a pipeline declares
 * (ingest.sets.columns): no binary floating point between the file and the catalogue.
 */

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** `text` × 10^places as a plain decimal ("13578.9", 3 → "13578900"); undefined if `text` is not a number. */
export function shiftDecimal(text: string, places: number): string | undefined {
  const m = NUMBER.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m;
  const digits = `${whole}${fraction}`;
  const point = whole.length + Number(exponent) + places;
  const padded = point <= 0 ? `${'0'.repeat(1 - point)}${digits}` : digits.padEnd(point, '0');
  const at = Math.max(point, 1);
  const intPart = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const fracPart = padded.slice(at).replace(/0+$/, '');
  const out = fracPart === '' ? intPart : `${intPart}.${fracPart}`;
  return /[1-9]/.test(out) ? `${sign === '-' ? '-' : ''}${out}` : '0';
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
