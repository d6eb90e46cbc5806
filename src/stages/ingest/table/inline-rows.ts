import type { RowSink } from './parse-pass.js';
import { names } from './sql-names.js';

/**
 * The rows of a small file, kept in memory as COPY text: sent with the rows of the other
 * files of its batch in one COPY (see loadBatch), or, for a file loaded alone, as one
 * multi-row INSERT in the same message as the ledger update and COMMIT (a COPY of its
 * own would cost two more round trips and four more socket writes). Kept as UTF-8
 * bytes, which the socket needs anyway: strings held until the batch is sent would
 * outlive V8's young generation and cost a full garbage collection to free.
 */
export class InlineRows implements RowSink {
  readonly #chunks: Buffer[] = [];
  #rows = 0;

  /** The rows as written: whole lines of COPY text, UTF-8. */
  get chunks(): readonly Buffer[] {
    return this.#chunks;
  }

  async write(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    this.#chunks.push(bytes);
    for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) this.#rows++;
  }

  async finish(): Promise<number> {
    return this.#rows;
  }

  async abort(): Promise<void> {
    this.#chunks.length = 0;
    this.#rows = 0;
  }

  /** INSERT INTO `table` (`columns`) VALUES ..., or null when there is no row. */
  insertSql(table: string, columns: readonly string[]): string | null {
    if (this.#rows === 0) return null;
    const lines = Buffer.concat(this.#chunks).toString('utf8').slice(0, -1).split('\n');
    const tuples = lines.map((line) => `(${line.split('\t').map(copyFieldToLiteral).join(', ')})`);
    return `INSERT INTO ${table} (${names(columns)}) VALUES ${tuples.join(',\n')}`;
  }
}

const LF = 0x0a;

/**
 * One field of COPY text as an SQL literal of unknown type (PostgreSQL casts it to the
 * column's type, as COPY does). E'' strings, so the meaning of a backslash does not
 * depend on standard_conforming_strings.
 */
export function copyFieldToLiteral(field: string): string {
  if (field === '\\N') return 'NULL';
  const value = field.includes('\\') ? field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c) : field;
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
