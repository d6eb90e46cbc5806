/**
 * What the kill -9 tests of `nocturne retry --now` share: the built command line run as
 * a child and killed with SIGKILL at an instant found by a state (a ledger row, a lock),
 * never by a delay; and gates, which hold a commit of the child until the test lets it go,
 * so an instant between two side effects is reached every time.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { sleep } from '../../../src/core/abort.js';
import type { Db } from '../../../src/db/database.js';
import { REPO } from '../../../harness/daemon-process.js';

const BIN = path.join(REPO, 'bin/nocturne.js');

/**
 * Runs `nocturne <args>` and kills it with SIGKILL once `reached` says so. Fails if the
 * child ended by itself first: the instant was never reached.
 */
export async function killWhen(args: string[], reached: () => Promise<boolean>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let ended = false;
  void exited.then(() => (ended = true));
  while (!ended && !(await reached())) await sleep(5);
  child.kill('SIGKILL');
  expect(await exited, `the child ended before the instant: ${stderr}`).toBe('SIGKILL');
}

/**
 * Installs gates on `tables` of the test's state schema: each insert or update of a row
 * takes, at its commit, a shared advisory lock named "<table>:<the row's state>" (or
 * "<table>:" for a table without state), which the test may hold (`hold`).
 */
export async function installGates(db: Db, schema: string, tables: string[]): Promise<void> {
  await db.none(
    `CREATE FUNCTION $1:name.test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_advisory_xact_lock_shared(hashtext(TG_TABLE_SCHEMA), hashtext(TG_TABLE_NAME || ':' || coalesce(to_jsonb(NEW) ->> 'state', '')));
         RETURN NULL;
       END $$`,
    [schema],
  );
  for (const table of tables) {
    await db.none(
      `CREATE CONSTRAINT TRIGGER test_gate AFTER INSERT OR UPDATE ON $1:name.$2:name
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION $1:name.test_gate()`,
      [schema, table],
    );
  }
}

export interface HeldGate {
  /** Whether a commit waits at the gate. */
  waited(): Promise<boolean>;
  /**
   * Opens the gate. `commit`: the waiting commit goes through, as a commit sent before
   * the kill does; otherwise its connection is ended first, and it never happens.
   */
  open(waiting: 'commit' | 'abort'): Promise<void>;
}

/** Closes the gate "<table>:<state>" of `schema` until `open`. */
export async function hold(db: Db, schema: string, gate: string): Promise<HeldGate> {
  const c = await db.connect();
  await c.one('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [schema, gate]);
  const waiters = () =>
    c.map(
      `SELECT w.pid FROM pg_locks h JOIN pg_locks w USING (locktype, database, classid, objid, objsubid)
        WHERE h.pid = pg_backend_pid() AND h.granted AND h.locktype = 'advisory' AND NOT w.granted`,
      [],
      (r: { pid: number }) => r.pid,
    );
  return {
    waited: async () => (await waiters()).length > 0,
    async open(waiting) {
      try {
        const pids = await waiters();
        if (waiting === 'abort') for (const pid of pids) await c.one('SELECT pg_terminate_backend($1)', [pid]);
        await c.one('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [schema, gate]);
        // The child is dead: its connections end once their commit is done or aborted.
        while ((await c.one<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [pids])).n > 0) {
          await sleep(5);
        }
      } finally {
        await c.done();
      }
    },
  };
}
