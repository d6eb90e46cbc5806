import { randomBytes } from 'node:crypto';
import { closeDb, openDb, pgp, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { rig } from './rig.js';

export interface TestDb {
  db: Db;
  /** The state schema of this test database: migrations applied, dropped by drop(). */
  schema: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh state schema on the rig's PostgreSQL, so test files never see each other's
 * rows and can run in any order.
 */
export async function createTestDb(label: string): Promise<TestDb> {
  const url = rig().pgUrl;
  const schema = `t_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const db = openDb({ url, schema, poolSize: 8, applicationName: `nocturne-test-${label}` });
  await migrate(db, schema);
  return {
    db,
    schema,
    url,
    async drop() {
      await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
      await closeDb(db);
    },
  };
}

export { pgp };
