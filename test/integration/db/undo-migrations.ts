// What the state migrations' tests run to find the ledger as an earlier migration left it.

/** The ledger as 0018 left it. */
export const UNDO_0019 = `DROP TRIGGER ingested_sets_member_names ON ingested_sets; DROP FUNCTION fill_member_names();
  DROP INDEX ingested_sets_member_names; ALTER TABLE ingested_sets DROP COLUMN member_names;
  CREATE INDEX ingested_sets_member_names ON ingested_sets USING gin (member_names(members)) WITH (fastupdate = off)
    WHERE status IN ('loaded', 'replaced');
  DELETE FROM schema_migrations WHERE version = 19`;
