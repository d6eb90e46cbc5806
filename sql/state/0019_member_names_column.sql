-- The file names of a set's members (0016), kept in a column the loader fills, instead of
-- computed by the index for every row inserted: member_names(members) at each insert cost
-- the server about a fifth of its time per set (issue 20; in the ingest-sets bench,
-- dropping the index took our backends from 1.66-1.76 s to 1.23-1.40 s of CPU, while
-- neither fastupdate nor a PL/pgSQL body changed it). A row inserted without them (by
-- hand, or by an earlier nocturne on another host) gets them from a trigger. Members are
-- never updated: a ledger row's files are those it was written with.
ALTER TABLE ingested_sets ADD COLUMN member_names text[];
UPDATE ingested_sets SET member_names = member_names(members);

-- search_path FROM CURRENT: the insert may come from a session whose path lacks this schema.
CREATE FUNCTION fill_member_names() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.member_names := member_names(NEW.members);
  RETURN NEW;
END $$;
CREATE TRIGGER ingested_sets_member_names BEFORE INSERT ON ingested_sets
  FOR EACH ROW WHEN (NEW.member_names IS NULL) EXECUTE FUNCTION fill_member_names();

DROP INDEX ingested_sets_member_names;
CREATE INDEX ingested_sets_member_names ON ingested_sets USING gin (member_names) WITH (fastupdate = off)
  WHERE status IN ('loaded', 'replaced');
COMMENT ON COLUMN ingested_sets.member_names IS 'The file names (last path element) of the members, as member_names(members): what job_tasks.outputs holds.';
COMMENT ON INDEX ingested_sets_member_names IS 'Retention: whether a task''s output is a member of a load (its job is then provenance, never pruned).';
