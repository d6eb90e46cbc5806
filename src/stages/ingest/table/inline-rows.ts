import type { RowSink } from './parse-pass.js';
import { names } from './sql-names.js';

/**
 * The rows of a small file, kept to be sent as one multi-row INSERT in the same
 * message as the ledger update and COMMIT. A COPY costs two more round trips and four
 * more socket writes per file, which is what bounds a night of many small files.
 */
export class InlineRows implements RowSink {
  readonly #chunks: string[] = [];

  async write(text: string): Promise<void> {
    this.#chunks.push(text);
  }

  async finish(): Promise<number> {
    return this.#lines().length;
  }

  async abort(): Promise<void> {
    this.#chunks.length = 0;
  }

  /** INSERT INTO `table` (`columns`) VALUES ..., or null when there is no row. */
  insertSql(table: string, columns: readonly string[]): string | null {
    const lines = this.#lines();
    if (lines.length === 0) return null;
    const tuples = lines.map((line) => `(${line.split('\t').map(copyFieldToLiteral).join(', ')})`);
    return `INSERT INTO ${table} (${names(columns)}) VALUES ${tuples.join(',\n')}`;
  }

  #lines(): string[] {
    const text = this.#chunks.join('');
    return text === '' ? [] : text.slice(0, -1).split('\n');
  }
}

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
