import type { Db } from '../../../src/db/database.js';

/**
 * Makes PostgreSQL refuse (P0001 "report refused") to record a rejection with issues in
 * the ledger `table` of the state schema `schema`, as it refused reports holding \u0000.
 */
export async function refuseRejectionReports(db: Db, schema: string, table: 'ingested_files' | 'ingested_sets'): Promise<void> {
  await db.none(
    `CREATE FUNCTION $1:name.no_report() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'report refused'; END $$;
     CREATE TRIGGER no_report BEFORE INSERT OR UPDATE ON $1:name.$2:name FOR EACH ROW
       WHEN (NEW.status = 'rejected' AND jsonb_array_length(NEW.report -> 'issues') > 0) EXECUTE FUNCTION $1:name.no_report()`,
    [schema, table],
  );
}
