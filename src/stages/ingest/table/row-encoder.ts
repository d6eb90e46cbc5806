import { createCaster, type FieldCaster } from '../../../adapters/csv/field-casts.js';
import { NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import type { RowIssue } from '../common/issues.js';
import { fieldWriter, type BinaryRows, type FieldWriter } from './binary-rows.js';

/**
 * Turns the fields of one CSV record into one line of COPY text (without the newline), or
 * one binary COPY tuple, casting every mapped column to its declared type. Compiled once per file from the
 * header, so the per-row work is an index lookup and a cast per column.
 */
export interface RowEncoder {
  /** Table columns, in the order encode() writes them. */
  readonly columns: readonly string[];
  /** COPY text, or undefined with `issue` set. */
  encode(fields: readonly string[]): string | undefined;
  /**
   * Appends the row to `out` in binary COPY format, then `fileId` as one more int8
   * field; false with `issue` set (nothing appended) when the row is refused. Only when
   * `binary`.
   */
  encodeBinary(fields: readonly string[], fileId: number, out: BinaryRows): boolean;
  /** Whether encodeBinary() can be used: compiled with the target's types, each column with a binary form. */
  readonly binary: boolean;
  /** Why the last encode() refused its row (line left 0 for the caller to fill in). */
  readonly issue: RowIssue;
}

interface Slot {
  column: string;
  from: string;
  index: number;
  nullable: boolean;
  caster: FieldCaster;
  /** The field in binary COPY format, when the target type has a plain one. */
  writer: FieldWriter | undefined;
}

/**
 * Builds the encoder for a file whose header is `header`. A mapped column absent from
 * the header (or present twice) is a file-level error: no row could be loaded right.
 */
export function compileRowEncoder(
  config: Pick<IngestStageConfig, 'columns' | 'csv'>,
  header: readonly string[],
  label: string,
  targetTypes?: ReadonlyMap<string, string>,
): RowEncoder {
  const names = header.map((h) => h.trim());
  const slots: Slot[] = Object.entries(config.columns).map(([column, spec]) => {
    const index = names.indexOf(spec.from);
    if (index < 0) headerProblem(label, spec.from, `header has no column ${spec.from} (mapped to ${column})`);
    if (names.indexOf(spec.from, index + 1) >= 0) headerProblem(label, spec.from, `header has column ${spec.from} twice`);
    const caster = createCaster(spec.type, spec.format);
    const writer = targetTypes && fieldWriter(spec, targetTypes.get(column) ?? '', caster);
    return { column, from: spec.from, index, nullable: spec.nullable, caster, writer };
  });
  const width = names.length;
  const nulls = new Set(config.csv.nullValues);
  const issue: RowIssue = { line: 0, reason: '' };
  const refuse = (reason: string, slot?: Slot, value?: string): undefined => {
    issue.reason = reason;
    if (slot) issue.column = slot.from;
    else delete issue.column;
    if (value === undefined) delete issue.value;
    else issue.value = value;
    return undefined;
  };

  /** The field of `slot` as COPY text, null for a NULL, or undefined (refused, `issue` set). */
  const cast = (slot: Slot, value: string): string | null | undefined => {
    if (nulls.has(value)) return slot.nullable ? null : refuse(`NULL in required column ${slot.from}`, slot, value);
    return slot.caster.cast(value) ?? refuse(slot.caster.reason(value), slot, value);
  };
  const wrongWidth = (fields: readonly string[]) => refuse(`expected ${width} fields, found ${fields.length}`);

  return {
    columns: slots.map((s) => s.column),
    issue,
    encode(fields) {
      if (fields.length !== width) return wrongWidth(fields);
      let out = '';
      for (let i = 0; i < slots.length; i++) {
        const text = cast(slots[i]!, fields[slots[i]!.index]!);
        if (text === undefined) return undefined;
        out = i === 0 ? (text ?? '\\N') : `${out}\t${text ?? '\\N'}`;
      }
      return out;
    },
    binary: targetTypes?.get('ingested_file_id') === 'int8' && slots.every((s) => s.writer !== undefined),
    encodeBinary(fields, fileId, out) {
      if (fields.length !== width) {
        wrongWidth(fields);
        return false;
      }
      out.begin(slots.length + 1);
      for (const slot of slots) {
        const value = fields[slot.index]!;
        const written = nulls.has(value) ? slot.nullable && (out.null(), true) : slot.writer!(value, out);
        if (!written) {
          out.drop();
          cast(slot, value);
          return false;
        }
      }
      out.int8Exact(fileId);
      return true;
    },
  };
}

function headerProblem(label: string, column: string, reason: string): never {
  throw new NocturneError('CSV_INVALID', `${label}:1:${column}: ${reason}`, { details: { line: 1, column, reason } });
}
