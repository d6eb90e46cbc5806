import { createHash } from 'node:crypto';
import { CsvRecordSplitter, type CsvDialect } from '../../../adapters/csv/record-splitter.js';
import { NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import { chunksOf, type FileBody } from '../common/file-body.js';
import { badRow, REPORT_LIMIT, shown, type BadRow } from '../common/issues.js';
import type { RowIssue } from '../common/issues.js';
import { BinaryRows } from './binary-rows.js';
import { compileRowEncoder, type RowEncoder } from './row-encoder.js';

/** Where the encoded rows go: a COPY (CopyWriter), or an INSERT sent later (InlineRows). */
export interface RowSink {
  /** Whole rows of COPY text, newline-terminated (or binary COPY data: see PassInput.binary). */
  write(data: string | Buffer): Promise<void>;
  /** Resolves with the number of rows stored. */
  finish(): Promise<number>;
  abort(reason: string): Promise<void>;
}

/** Rows are coalesced into writes of at least this many characters (or bytes, binary). */
const WRITE_CHARS = 64 * 1024;

export interface PassInput {
  body: FileBody;
  /** How the file is named in messages (local or remote path). */
  label: string;
  stage: Pick<IngestStageConfig, 'columns' | 'csv' | 'badRows'>;
  /** Appended to each COPY row after a tab: the ledger id (direct load) or the line (staging). */
  suffix: { kind: 'constant'; text: string } | { kind: 'line' };
  /**
   * Rows in binary COPY format when every mapped column's target type (pg_type name by
   * column) has one, with the constant suffix `fileId` as an int8; else text.
   */
  binary?: { types: ReadonlyMap<string, string>; fileId: number };
  /** Starts the sink (e.g. the COPY) once the header is known, with the table columns in encoder order, for binary rows or text. */
  openSink(columns: readonly string[], binary: boolean): RowSink;
  /** Filled with the file line of each row sent: maps "COPY ..., line N" back to the file. */
  lines: LineMap;
  onRows?(rows: number): void;
}

export interface PassResult {
  /** The hash of the bytes read; null for a body held in memory, hashed once when it was read. */
  sha256: string | null;
  /** Data records read (header excluded). */
  rows: number;
  /** Rows the sink stored. */
  copied: number;
  /** Bad rows beyond the policy: the file must be rejected. */
  refused: boolean;
  badRows: number;
  /** The first REPORT_LIMIT issues, for a rejection report. */
  issues: RowIssue[];
  /** Bad rows to keep in quarantine_rows (badRows.policy = quarantine). */
  quarantined: BadRow[];
}

/**
 * One pass over a file: hash every byte read from disk, split, validate and encode every record, and
 * stream the good ones into the sink (a COPY). A row refused by the policy stops the
 * COPY (aborted, so the server discards it) but not the reading: the rest is still
 * checked for the report, up to REPORT_LIMIT issues, and hashed to the last byte.
 * File-level problems (empty file, header, unterminated quote) throw CSV_INVALID.
 */
export async function parsePass(input: PassInput): Promise<PassResult> {
  const { stage, label } = input;
  const quarantineMax = stage.badRows.policy === 'quarantine' ? stage.badRows.maxQuarantined : 0;
  // A body in memory is the very bytes fetch() hashed: only a file read again can have changed.
  const hash = 'bytes' in input.body ? null : createHash('sha256');
  const { lines } = input;
  const issues: RowIssue[] = [];
  const quarantined: BadRow[] = [];
  const suffix = input.suffix.kind === 'constant' ? input.suffix.text : null;
  let encoder: RowEncoder | undefined;
  let writer: RowSink | undefined;
  // Rows encoded and not sent yet: text, or binary tuples.
  let pending = '';
  let tuples: BinaryRows | undefined;
  const waiting = () => tuples?.length ?? pending.length;
  const fileId = input.binary?.fileId ?? 0;
  let rows = 0;
  let badRows = 0;
  let refused = false;

  const bad = (issue: RowIssue, raw: string): void => {
    badRows++;
    const kept = shown(issue);
    if (issues.length < REPORT_LIMIT) issues.push(kept);
    if (badRows <= quarantineMax) quarantined.push(badRow(kept, raw));
    else refused = true;
  };
  const splitter = new CsvRecordSplitter(label, stage.csv, {
    record(fields, line, raw) {
      if (!encoder) {
        encoder = compileRowEncoder(stage, fields, label, input.binary?.types);
        if (encoder.binary) tuples = new BinaryRows();
        return;
      }
      rows++;
      if (tuples && !refused) {
        if (!encoder.encodeBinary(fields, fileId, tuples)) return bad({ ...encoder.issue, line }, raw);
        lines.push(line);
        return;
      }
      const text = encoder.encode(fields);
      if (text === undefined) return bad({ ...encoder.issue, line }, raw);
      if (refused) return;
      pending += `${text}\t${suffix ?? line}\n`;
      lines.push(line);
    },
    malformed(line, raw, reason, at) {
      if (!encoder) {
        const why = `header line unreadable: ${reason}`;
        throw new NocturneError('CSV_INVALID', `${label}:${line}: ${why}`, { details: { line, reason: why } });
      }
      rows++;
      bad({ line, reason, ...(at === undefined ? {} : { at }) }, raw);
    },
  });

  try {
    for await (const chunk of chunksOf(input.body)) {
      hash?.update(chunk);
      if (refused && issues.length >= REPORT_LIMIT) continue;
      splitter.write(chunk);
      if (encoder && !writer && !refused) writer = input.openSink(encoder.columns, tuples !== undefined);
      if (refused) {
        pending = '';
        tuples?.take();
      } else if (writer && waiting() >= WRITE_CHARS) {
        await writer.write(tuples ? tuples.take() : pending);
        pending = '';
        input.onRows?.(rows);
      }
    }
    if (!(refused && issues.length >= REPORT_LIMIT)) splitter.end();
    if (!encoder) {
      const reason = 'empty file: no header line';
      throw new NocturneError('CSV_INVALID', `${label}:1: ${reason}`, { details: { line: 1, reason } });
    }
  } catch (err) {
    await writer?.abort(`${label}: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  let copied = 0;
  if (refused) await writer?.abort(`${label}: refused by the badRows policy`);
  else {
    writer ??= input.openSink(encoder.columns, tuples !== undefined);
    if (tuples) await writer.write(tuples.take(true));
    else if (pending.length > 0) await writer.write(pending);
    copied = await writer.finish();
  }
  input.onRows?.(rows);
  return { sha256: hash?.digest('hex') ?? null, rows, copied, refused, badRows, issues, quarantined };
}

/**
 * The file line of each row sent to COPY, to turn "COPY ..., line N" back into a file
 * line. Rows mostly come from consecutive lines, so only the start of each run of
 * consecutive lines is kept: a million-row file costs a few entries, not 4 MB.
 */
export class LineMap {
  /** Row number (1-based) where each run starts, and the file line of that row. */
  readonly #rows: number[] = [];
  readonly #lines: number[] = [];
  #count = 0;

  push(line: number): void {
    this.#count++;
    const last = this.#rows.length - 1;
    if (last >= 0 && line - this.#lines[last]! === this.#count - this.#rows[last]!) return;
    this.#rows.push(this.#count);
    this.#lines.push(line);
  }

  /** File line of the n-th row sent (1-based, as PostgreSQL counts COPY lines). */
  line(n: number): number | undefined {
    if (!(n >= 1 && n <= this.#count)) return undefined;
    let low = 0;
    let high = this.#rows.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#rows[mid]! <= n) low = mid;
      else high = mid - 1;
    }
    return this.#lines[low]! + (n - this.#rows[low]!);
  }
}

/** The raw text of the records starting on `wanted` lines (to quarantine rows found bad after loading). */
export async function rawRecords(
  body: FileBody,
  label: string,
  dialect: CsvDialect,
  wanted: ReadonlySet<number>,
): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const keep = (line: number, raw: string): void => {
    if (wanted.has(line)) found.set(line, raw);
  };
  const splitter = new CsvRecordSplitter(label, dialect, { record: (_fields, line, raw) => keep(line, raw), malformed: keep });
  for await (const chunk of chunksOf(body)) {
    splitter.write(chunk);
    if (found.size === wanted.size) return found;
  }
  splitter.end();
  return found;
}
