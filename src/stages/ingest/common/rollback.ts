import { coerceError } from '../../../core/errors.js';
import type { Logger } from '../../../log/logger.js';
import type { Session } from './connection.js';

/** Rolls back the connection's transaction; false when even that failed (the connection is then to be discarded). */
export async function rollback(conn: Session, logger: Logger, label: string): Promise<boolean> {
  try {
    await conn.none('ROLLBACK');
    return true;
  } catch (err) {
    logger.warn({ err: coerceError(err), file: label }, 'rollback failed; discarding the connection');
    return false;
  }
}
