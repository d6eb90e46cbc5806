// The NUL-byte bad input (issue 14): one NUL byte in one field of one record. PostgreSQL
// text and jsonb cannot hold it: the record must be refused at its file:line:column, and
// the report of that refusal must still reach the ledger.

/** What the record splitter says of a line holding a NUL byte. */
export const NUL_REASON = 'byte 0x00 (NUL) is not text: PostgreSQL cannot store it (a damaged file, or one in UTF-16?)';

/**
 * `csv` with a NUL byte put at the start of field `field` (0-based) of physical line
 * `line` (1 = the header). Fields are counted by `delimiter`: use it on fields before any quoted one.
 */
export function withNulByte(csv: string, line: number, field: number, delimiter = ';'): Buffer {
  const lines = csv.split('\n');
  const fields = lines[line - 1]!.split(delimiter);
  fields[field] = `\0${fields[field]!}`;
  lines[line - 1] = fields.join(delimiter);
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** The character column (1-based) of the NUL withNulByte() puts in: where the error locates it. */
export function nulColumn(csv: string, line: number, field: number, delimiter = ';'): number {
  return csv.split('\n')[line - 1]!.split(delimiter).slice(0, field).join(delimiter).length + (field > 0 ? 2 : 1);
}
