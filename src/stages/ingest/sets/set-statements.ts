/**
 * Where a statement of a set's load goes when the load shares a transaction with others
 * (see SetGroups): the phases in turn, so that every row comes after the rows it
 * references (the ledger row before the catalogue's rows, observations before features,
 * features before tracking rows), and the locks and checks before any row.
 */
export const Phase = { locks: 0, ledger: 1, observations: 2, features: 3, tracking: 4 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * A statement of a set's load: plain SQL, or an INSERT as its head (up to VALUES) and its
 * rows, which merge with others of the same head.
 */
export type SetStatement = { phase: Phase; sql: string } | { phase: Phase; head: string; rows: readonly string[] };

/** Rows per INSERT statement: a few hundred KB of SQL at most. */
const ROWS_PER_INSERT = 500;

/** The SQL of one load's statements, in their order. */
export function inOrder(statements: readonly SetStatement[]): string[] {
  return statements.flatMap((s) => ('sql' in s ? [s.sql] : inserts(s.head, s.rows)));
}

/**
 * The SQL of several loads in one transaction: phase by phase, each load's statements in
 * load order, the rows of INSERTs of a phase with the same head in one statement (at the
 * place of the first). The server parses, plans and starts one statement where there were
 * as many as loads.
 */
export function merged(loads: readonly (readonly SetStatement[])[]): string[] {
  const phases: (string | { head: string; rows: string[] })[][] = [];
  const byHead = new Map<string, { head: string; rows: string[] }>();
  for (const statements of loads) {
    for (const s of statements) {
      const phase = (phases[s.phase] ??= []);
      if ('sql' in s) {
        phase.push(s.sql);
        continue;
      }
      const key = `${s.phase}\0${s.head}`;
      let insert = byHead.get(key);
      if (!insert) {
        byHead.set(key, (insert = { head: s.head, rows: [] }));
        phase.push(insert);
      }
      // One by one: a spread of a large feat file's rows would pass the engine's limit on arguments.
      for (const row of s.rows) insert.rows.push(row);
    }
  }
  return phases.flat().flatMap((s) => (typeof s === 'string' ? [s] : inserts(s.head, s.rows)));
}

function inserts(head: string, rows: readonly string[]): string[] {
  const statements: string[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    statements.push(head + rows.slice(start, start + ROWS_PER_INSERT).join(',\n'));
  }
  return statements;
}
