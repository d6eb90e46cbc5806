import { hasControl } from '../core/printable.js';

/** A request the caller got wrong: the router and the monitor answer 400 with its message. */
export class BadRequest extends Error {}

const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * A row id as a path gives it: digits only (no sign, exponent, hex, fraction or space),
 * from 1 to PostgreSQL's bigint maximum, else BadRequest. null for one past 2^53, which
 * names no row: ids are read as numbers here, and no serial gets near that.
 */
export function idParam(text: string | undefined, what: string): number | null {
  const digits = text !== undefined && /^\d{1,19}$/.test(text) ? BigInt(text) : 0n;
  if (digits < 1n || digits > BIGINT_MAX) throw new BadRequest(`${what} must be an integer from 1 to ${BIGINT_MAX}, not "${text ?? ''}"`);
  return digits > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(digits);
}

/**
 * A route's path parameters, decoded, after checking them and the query: a malformed
 * percent-escape or a control character anywhere is BadRequest, before any handler runs.
 */
export function checkedParams(raw: Readonly<Record<string, string>>, query: URLSearchParams): Record<string, string> {
  const params = Object.fromEntries(
    Object.entries(raw).map(([name, value]) => {
      try {
        return [name, decodeURIComponent(value)];
      } catch {
        throw new BadRequest(`the path's ${name} "${value}" has a malformed percent-escape`);
      }
    }),
  );
  for (const [name, value] of [...Object.entries(params), ...query]) {
    // No name, night, key or path holds one, and PostgreSQL refuses NUL outright.
    if (hasControl(name) || hasControl(value)) throw new BadRequest(`parameter ${JSON.stringify(name)} holds a control character`);
  }
  return params;
}
