import { NocturneError } from '../../../core/errors.js';
import type { RowSink } from './parse-pass.js';
import { names } from './sql-names.js';

/**
 * The rows of a small file, kept in memory as COPY text: sent with the rows of the other
 * files of its batch in one COPY (see loadBatch), or, for a file loaded alone, as one
 * multi-row INSERT in the same message as the ledger update and COMMIT (a COPY of its
 * own would cost two more round trips and four more socket writes). Kept as UTF-8
 * bytes in a RowArena, after the rows of the files before it: strings held until the
 * batch is sent would outlive V8's young generation and cost a full garbage collection
 * to free.
 */
export class InlineRows implements RowSink {
  readonly #arena: RowArena;
  readonly #start: number;
  #end: number;
  #rows = 0;

  constructor(arena: RowArena) {
    this.#arena = arena;
    this.#start = arena.length;
    this.#end = this.#start;
  }

  async write(text: string): Promise<void> {
    this.#lastInArena();
    this.#arena.append(text);
    const bytes = this.#arena.bytes(this.#end);
    for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) this.#rows++;
    this.#end = this.#arena.length;
  }

  async finish(): Promise<number> {
    return this.#rows;
  }

  /** Takes this file's rows back out of the arena: nothing of a file refused may reach its batch's COPY. */
  async abort(): Promise<void> {
    // Cutting back past another file's rows would drop them silently.
    this.#lastInArena();
    this.#arena.truncate(this.#start);
    this.#end = this.#start;
    this.#rows = 0;
  }

  /** This file's rows must be the arena's last: files of one arena are written one after another. */
  #lastInArena(): void {
    if (this.#arena.length !== this.#end) throw new NocturneError('INTERNAL', 'rows of two files written to one arena at once');
  }

  /** INSERT INTO `table` (`columns`) VALUES ..., or null when there is no row. */
  insertSql(table: string, columns: readonly string[]): string | null {
    if (this.#rows === 0) return null;
    const lines = this.#arena.bytes(this.#start, this.#end).toString('utf8').slice(0, -1).split('\n');
    const tuples = lines.map((line) => `(${line.split('\t').map(copyFieldToLiteral).join(', ')})`);
    return `INSERT INTO ${table} (${names(columns)}) VALUES ${tuples.join(',\n')}`;
  }
}

/**
 * UTF-8 COPY text of the rows of several files, one after another in one buffer: a
 * batch's COPY sends slices of it as they are, and a pool (takeArena, giveBack) hands the
 * buffer to batch after batch. Memory a process touches for the first time costs a page
 * fault per 4 KiB: written to a new buffer per file, then copied together into new
 * buffers to be sent, the rows of the ingest bench's 2,000 small files took the whole
 * `nocturne run` 1.96 s, 1.87 s this way (medians of 3 and 5).
 */
export class RowArena {
  #buffer: Buffer;
  #length = 0;

  constructor(capacity = ARENA_BYTES) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.#length;
  }

  get capacity(): number {
    return this.#buffer.length;
  }

  append(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: room for the worst case, so write() never cuts it short.
    const needed = this.#length + text.length * 3;
    if (needed > this.#buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(larger, 0, 0, this.#length);
      this.#buffer = larger;
    }
    this.#length += this.#buffer.write(text, this.#length, 'utf8');
  }

  /** Forgets what was appended after `mark`. */
  truncate(mark: number): void {
    this.#length = Math.min(this.#length, mark);
  }

  /** The bytes from `from` to `to`, not copied: valid until the next truncate() or the arena's return to the pool. */
  bytes(from: number, to = this.#length): Buffer {
    return this.#buffer.subarray(from, to);
  }
}

/** An arena holds a batch's rows (about BATCH_BYTES of CSV); one that had to grow far beyond is not kept. */
const ARENA_BYTES = 1024 * 1024;
const KEPT_ARENA_BYTES = 8 * ARENA_BYTES;
/** Idle arenas kept: one per load in flight. */
const KEPT_ARENAS = 4;
const idle: RowArena[] = [];

/** An empty arena, from the pool when one is idle. */
export function takeArena(): RowArena {
  return idle.pop() ?? new RowArena();
}

/**
 * Returns an arena to the pool. Only once nothing can still read it: after the COMMIT of
 * the COPY that sent it (the server has read every byte), never after a failure, when
 * the socket may still hold slices of it.
 */
export function giveBack(arena: RowArena): void {
  arena.truncate(0);
  if (idle.length < KEPT_ARENAS && arena.capacity <= KEPT_ARENA_BYTES) idle.push(arena);
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
