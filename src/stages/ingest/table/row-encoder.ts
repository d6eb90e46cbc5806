import { createCaster, type FieldCaster } from '../../../adapters/csv/field-casts.js';
import { NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import type { RowIssue } from '../common/issues.js';

/**
 * Turns the fields of one CSV record into one line of COPY text (without the newline),
 * casting every mapped column to its declared type. Compiled once per file from the
 * header, so the per-row work is an index lookup and a cast per column.
 */
export interface RowEncoder {
  /** Table columns, in the order encode() writes them. */
  readonly columns: readonly string[];
  /** COPY text, or undefined with `issue` set. */
  encode(fields: readonly string[]): string | undefined;
  /** Why the last encode() refused its row (line left 0 for the caller to fill in). */
  readonly issue: RowIssue;
}

interface Slot {
  column: string;
  from: string;
  index: number;
  nullable: boolean;
  caster: FieldCaster;
}

/**
 * Builds the encoder for a file whose header is `header`. A mapped column absent from
 * the header (or present twice) is a file-level error: no row could be loaded right.
 */
export function compileRowEncoder(
  config: Pick<IngestStageConfig, 'columns' | 'csv'>,
  header: readonly string[],
  label: string,
): RowEncoder {
  const names = header.map((h) => h.trim());
  const slots: Slot[] = Object.entries(config.columns).map(([column, spec]) => {
    const index = names.indexOf(spec.from);
    if (index < 0) headerProblem(label, spec.from, `header has no column ${spec.from} (mapped to ${column})`);
    if (names.indexOf(spec.from, index + 1) >= 0) headerProblem(label, spec.from, `header has column ${spec.from} twice`);
    return { column, from: spec.from, index, nullable: spec.nullable, caster: createCaster(spec.type, spec.format) };
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

  return {
    columns: slots.map((s) => s.column),
    issue,
    encode(fields) {
      if (fields.length !== width) return refuse(`expected ${width} fields, found ${fields.length}`);
      let out = '';
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        const value = fields[slot.index]!;
        let text: string | undefined;
        if (nulls.has(value)) {
          if (!slot.nullable) return refuse(`NULL in required column ${slot.from}`, slot, value);
          text = '\\N';
        } else {
          text = slot.caster.cast(value);
          if (text === undefined) return refuse(slot.caster.reason(value), slot, value);
        }
        out = i === 0 ? text : `${out}\t${text}`;
      }
      return out;
    },
  };
}

function headerProblem(label: string, column: string, reason: string): never {
  throw new NocturneError('CSV_INVALID', `${label}:1:${column}: ${reason}`, { details: { line: 1, column, reason } });
}
