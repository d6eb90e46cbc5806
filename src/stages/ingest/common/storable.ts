// What the ingest ledgers (ingested_files, quarantine_rows, ingested_sets) may hold. Their
// text comes from the inputs: a file's bad value, header or record, quoted in a reason.
// Should PostgreSQL refuse one of those, the rejection could never be recorded, and the
// input would be tried and fail again every run.

import { storableText } from '../../../db/text.js';

/**
 * `value` as JSON text that jsonb accepts: every string value in it storableText(). (Made
 * safe after JSON.stringify, a NUL is already the escape \u0000, which jsonb refuses too.)
 */
export function storableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? storableText(item) : item));
}

/**
 * `text` cut to `maxChars` characters, saying how long it was: a value or reason quoted in
 * a report stays readable, and a report of many 8 MiB values stays small enough to store.
 * Never cuts a character in two (jsonb refuses half of one).
 */
export function shortened(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length} characters in all)`;
}
