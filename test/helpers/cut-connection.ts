import type { Db } from '../../src/db/database.js';

/**
 * Cuts the connection of the next statement that writes `table` (of the state schema),
 * as a server restart or an administrator's pg_terminate_backend does: another
 * connection locks the table, the writer queues behind that lock, and is terminated
 * while it waits. Resolves once it is, the lock released; rejects if no writer came
 * within `timeoutMs`.
 */
export async function cutNextWrite(db: Db, table: string, timeoutMs = 30_000): Promise<{ cut: Promise<void> }> {
  const holder = await db.connect();
  await holder.none('BEGIN');
  await holder.none('LOCK TABLE $1:name IN EXCLUSIVE MODE', [table]);
  const cut = (async () => {
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const waiting = await db.any<{ pid: number }>('SELECT pid FROM pg_locks WHERE NOT granted AND relation = $1::regclass', [table]);
        if (waiting[0]) {
          await db.one('SELECT pg_terminate_backend($1)', [waiting[0].pid]);
          return;
        }
        if (Date.now() > deadline) throw new Error(`no statement came to write ${table} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await holder.none('ROLLBACK');
      await holder.done();
    }
  })();
  return { cut };
}
