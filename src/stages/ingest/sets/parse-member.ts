import { CsvRecordSplitter, type CsvDialect } from '../../../adapters/csv/record-splitter.js';
import { NocturneError } from '../../../core/errors.js';
import { chunksOf, type FileBody } from '../file-body.js';
import { REPORT_LIMIT } from '../issues.js';
import type { RowIssue } from '../row-encoder.js';
import { mapHeader, type HeaderMap, type MemberSpec } from './header-map.js';

/** A refused field or record of a set, located in its file. */
export interface SetIssue extends RowIssue {
  file: string;
}

export interface ParsedRow {
  /** File line the record starts on. */
  line: number;
  /** The raw fields (local ids and references are read from here). */
  fields: string[];
  /** SQL literals of the value slots, in HeaderMap.values order ('NULL' for a null). */
  values: string[];
}

export interface ParsedMember {
  label: string;
  map: HeaderMap;
  rows: ParsedRow[];
}

/** Issues of one set, kept to REPORT_LIMIT with the count of the others. */
export class SetIssues {
  readonly list: SetIssue[] = [];
  more = 0;

  add(issue: SetIssue): void {
    if (this.list.length < REPORT_LIMIT) this.list.push(issue);
    else this.more++;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/**
 * Reads one member file whole: maps its header, then casts every field by its column's
 * type. A file-level problem (no header, a header not matching the table, an open quote)
 * becomes one issue at line 1 or where it is; bad fields become one issue each. Rows
 * with an issue are left out: the caller loads nothing of a set with any issue.
 */
export async function parseMember(
  label: string,
  body: FileBody,
  dialect: CsvDialect,
  spec: MemberSpec,
  issues: SetIssues,
): Promise<ParsedMember | undefined> {
  let map: HeaderMap | undefined;
  const rows: ParsedRow[] = [];
  const issue = (line: number, reason: string, slot?: { header: string }, value?: string) =>
    issues.add({ file: label, line, reason, ...(slot ? { column: slot.header } : {}), ...(value === undefined ? {} : { value }) });
  const splitter = new CsvRecordSplitter(label, dialect, {
    record(fields, line) {
      if (!map) {
        map = mapHeader(label, fields, spec);
        return;
      }
      if (fields.length !== map.width) return issue(line, `expected ${map.width} fields, found ${fields.length} (a truncated or broken record)`);
      const values: string[] = [];
      let ok = true;
      for (const slot of map.values) {
        const raw = fields[slot.index]!;
        if (slot.nulls.has(raw)) {
          if (slot.column.notNull) {
            ok = false;
            issue(line, `NULL in column ${slot.column.name}, which is NOT NULL`, slot, raw);
          } else values.push('NULL');
          continue;
        }
        const text = slot.trim ? raw.trim() : raw;
        const out = slot.caster.cast(text);
        if (out === undefined) {
          ok = false;
          issue(line, slot.caster.reason(text), slot, raw);
        } else values.push(out);
      }
      for (const ref of map.references) {
        const raw = fields[ref.index]!;
        if (ref.nulls.has(raw) && ref.column.notNull) {
          ok = false;
          issue(line, `NULL in column ${ref.column.name}, which is NOT NULL`, ref, raw);
        }
      }
      if (ok) rows.push({ line, fields, values });
    },
    malformed(line, _raw, reason) {
      if (!map) throw new NocturneError('CSV_INVALID', `${label}:${line}: header line unreadable: ${reason}`, { details: { line, reason } });
      issue(line, reason);
    },
  });
  try {
    for await (const chunk of chunksOf(body)) splitter.write(chunk);
    splitter.end();
    if (!map) throw new NocturneError('CSV_INVALID', `${label}:1: empty file: no header line`, { details: { line: 1, reason: 'empty file: no header line' } });
  } catch (err) {
    if (!(err instanceof NocturneError) || err.code !== 'CSV_INVALID') throw err;
    const details = err.details ?? {};
    issues.add({
      file: label,
      line: typeof details['line'] === 'number' ? details['line'] : 1,
      reason: typeof details['reason'] === 'string' ? details['reason'] : err.message,
      ...(typeof details['column'] === 'string' ? { column: details['column'] } : {}),
    });
    return undefined;
  }
  return { label, map, rows };
}

/** "file:line[:column]: reason". */
export function locateIssue(issue: SetIssue): string {
  const at = issue.line > 0 ? `:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}` : '';
  return `${issue.file}${at}: ${issue.reason}`;
}
