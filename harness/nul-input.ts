// The NUL-byte bad input (issue 14): one NUL byte in one field of one record. PostgreSQL
// text and jsonb cannot hold it: the record must be refused at its file:line:column, and
// the report of that refusal must still reach the ledger. Used by the ingest tests, and
// ready for the fault suite's bad inputs.

/** What the record splitter says of a line holding a NUL byte. */
export const NUL_REASON = 'byte 0x00 (NUL) is not text: PostgreSQL cannot store it (a damaged file, or one in UTF-16?)';

export interface NulInput {
  /** The file's bytes: `csv` with one NUL byte. */
  bytes: Buffer;
  /** Line and character column of the NUL. */
  line: number;
  at: number;
  /** The error the ledger records for the file (single-CSV) or its set, once it is read from `path`. */
  error(path: string): string;
}

/**
 * `csv` with a NUL byte put at the start of field `field` (0-based) of physical line
 * `line` (1 = the header). Fields are counted by `delimiter`: use it on fields before any
 * quoted one.
 */
export function withNulByte(csv: string, line: number, field: number, delimiter = ';'): NulInput {
  const lines = csv.split('\n');
  const fields = lines[line - 1]!.split(delimiter);
  const at = fields.slice(0, field).join(delimiter).length + (field > 0 ? 2 : 1);
  fields[field] = `\0${fields[field]!}`;
  lines[line - 1] = fields.join(delimiter);
  return { bytes: Buffer.from(lines.join('\n'), 'utf8'), line, at, error: (path) => `${path}:${line}:${at}: ${NUL_REASON}` };
}
