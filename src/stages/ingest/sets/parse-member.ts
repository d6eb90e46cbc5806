import path from 'node:path';
import { CsvRecordSplitter, type CsvDialect } from '../../../adapters/csv/record-splitter.js';
import { NocturneError } from '../../../core/errors.js';
import { chunksOf, type FileBody } from '../common/file-body.js';
import { REPORT_LIMIT, shown } from '../common/issues.js';
import type { RowIssue } from '../common/issues.js';
import { mapHeader, type HeaderMap, type MemberSpec } from './header-map.js';
import { literal } from './hfc-casts.js';

const LF = 0x0a;

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
  /** SQL literal of the jsonb of the `extra` fields ('NULL' without any). */
  extra: string;
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
    if (this.list.length < REPORT_LIMIT) this.list.push(shown(issue));
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
export async function parseMember(label: string, body: FileBody, spec: MemberSpec, issues: SetIssues): Promise<ParsedMember | undefined> {
  const dialect: CsvDialect = spec.dialect;
  let map: HeaderMap | undefined;
  const rows: ParsedRow[] = [];
  const issue = (line: number, reason: string, slot?: { header: string }, value?: string) =>
    issues.add({ file: label, line, reason, ...(slot ? { column: slot.header } : {}), ...(value === undefined ? {} : { value }) });
  const { rules } = spec;
  const fileName = literal(path.basename(label));
  /** Line of the last record read, and the file's last byte. */
  let lastLine = 1;
  let lastByte: number | undefined;
  const splitter = new CsvRecordSplitter(label, dialect, {
    record(read, line) {
      lastLine = line;
      if (!map) {
        map = headerMapOf(label, read, spec);
        return;
      }
      const fields = fit(read, map, rules, dialect.delimiter);
      if (fields.length !== map.width) {
        const beyond = fields.length > map.width ? `; field ${map.width + 1} is ${JSON.stringify(fields[map.width])}` : '';
        return issue(line, `expected ${map.width} fields, found ${fields.length} (a truncated or broken record${beyond})`);
      }
      const values: string[] = [];
      let ok = true;
      for (const slot of map.values) {
        const raw = fields[slot.index]!;
        if (slot.nulls.has(raw)) {
          if (spec.fileNamed.includes(slot.column.name)) values.push(fileName);
          else if (slot.column.notNull) {
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
      if (ok) rows.push({ line, fields, values, extra: extraOf(map, fields, rules.nullValues) });
    },
    malformed(line, _raw, reason, at) {
      lastLine = line;
      if (!map) {
        throw new NocturneError('CSV_INVALID', `${label}:${line}: header line unreadable: ${reason}`, { details: { line, reason } });
      }
      issues.add({ file: label, line, reason, ...(at === undefined ? {} : { at }) });
    },
  });
  try {
    for await (const chunk of chunksOf(body)) {
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
      splitter.write(chunk);
    }
    splitter.end();
    if (!map) {
      throw new NocturneError('CSV_INVALID', `${label}:1: empty file: no header line`, {
        details: { line: 1, reason: 'empty file: no header line' },
      });
    }
    // Said once: a record cut short is refused for its fields already.
    if (rules.finalLineEnd && lastByte !== LF && !issues.list.some((i) => i.file === label && i.line === lastLine)) {
      issue(lastLine, 'the last record has no line end: the file was cut short (its writer ends every record with one)');
    }
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

/**
 * The map of a header, made once per spec and header: the members of a night's sets
 * share their header, and mapping it (a caster per column) costs more than reading a
 * small file's rows. Only maps are kept: a header refused is refused again, naming its
 * own file. Specs are made per run, so is this cache.
 */
function headerMapOf(label: string, header: readonly string[], spec: MemberSpec): HeaderMap {
  let maps = HEADER_MAPS.get(spec);
  if (!maps) HEADER_MAPS.set(spec, (maps = new Map<string, HeaderMap>()));
  const key = header.join('\0');
  let map = maps.get(key);
  if (!map) maps.set(key, (map = mapHeader(label, header, spec)));
  return map;
}
const HEADER_MAPS = new WeakMap<MemberSpec, Map<string, HeaderMap>>();

/**
 * The fields of a record as the header lays them out: up to `trailingEmptyFields` empty
 * fields beyond the header dropped (RABAT3's ";;"), else, when the pipeline names an
 * overflow column, the extra fields given back to it, joined by the delimiter they were
 * split at (an unquoted URL holding ";"). Other counts are left for the caller to refuse.
 */
function fit(fields: string[], map: HeaderMap, rules: MemberSpec['rules'], delimiter: string): string[] {
  const extra = fields.length - map.width;
  if (extra <= 0) return fields;
  if (extra <= rules.trailingEmptyFields && fields.slice(map.width).every((f) => f.trim() === '')) return fields.slice(0, map.width);
  if (map.overflow < 0) return fields;
  const at = map.overflow;
  return [...fields.slice(0, at), fields.slice(at, at + extra + 1).join(delimiter), ...fields.slice(at + extra + 1)];
}

/** The `extra` fields of a record as a jsonb literal, {"HEADER": "value" or null}. */
function extraOf(map: HeaderMap, fields: readonly string[], nulls: ReadonlySet<string>): string {
  if (map.extras.length === 0) return 'NULL';
  const object = Object.fromEntries(map.extras.map(({ header, index }) => [header, nulls.has(fields[index]!) ? null : fields[index]!]));
  return `${literal(JSON.stringify(object))}::jsonb`;
}

/**
 * A member's rows by local id, in file order. A local id used twice is an issue at the
 * second line, naming the first (`why` says what it would break): a set's references and
 * track files name rows by it, and a row written twice must not be loaded twice.
 */
export function byLocalId(member: ParsedMember, issues: SetIssues, why = ''): Map<string, ParsedRow> {
  const ids = new Map<string, ParsedRow>();
  for (const row of member.rows) {
    const id = row.fields[member.map.localId]!.trim();
    const earlier = ids.get(id);
    if (earlier) {
      issues.add({
        file: member.label,
        line: row.line,
        column: member.map.localIdHeader,
        value: id,
        reason: `local id ${id} already used on line ${earlier.line}${why}`,
      });
    } else ids.set(id, row);
  }
  return ids;
}
