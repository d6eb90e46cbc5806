-- A new code version's set of an observation is a re-emission of the old version's
-- (issue 18): it replaces that load (reemitted: replace) or is refused (keep), never
-- loaded beside it. Sets are matched by their key with the version as "*"
-- (sdoss_*_20140221T000045_sdo), which the loader reads from the pipeline's file-name
-- template.

-- The same for a row written without it (by an earlier nocturne still running on another
-- host, or by hand) and for the rows already there: the key with its "_"-separated part
-- equal to the version without dots (1.06 -> 106) as "*", as the HFC names write it.
CREATE FUNCTION reemission_key_of(set_key text, code_version text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT regexp_replace(set_key, '(^|_)' || regexp_replace(replace(code_version, '.', ''), '\W', '\\\&', 'g') || '(_|$)', '\1*\2') $$;
COMMENT ON FUNCTION reemission_key_of(text, text) IS 'A set key with its "_"-separated code version part (the version without dots) as "*": what the loader records when a row is inserted without reemission_key.';

ALTER TABLE ingested_sets ADD COLUMN reemission_key text;
UPDATE ingested_sets SET reemission_key = reemission_key_of(set_key, code_version);
-- Two live loads that the rule now calls one set (versions loaded beside each other
-- before): each keeps its own key, so that neither is lost; the next re-emission of
-- either replaces it alone.
UPDATE ingested_sets s SET reemission_key = s.set_key
  FROM (SELECT reemission_key, source FROM ingested_sets WHERE status = 'loaded' GROUP BY 1, 2 HAVING count(*) > 1) d
 WHERE s.source = d.source AND s.reemission_key = d.reemission_key;
ALTER TABLE ingested_sets ALTER COLUMN reemission_key SET NOT NULL;

-- search_path FROM CURRENT: the insert may come from a session whose path lacks this schema.
CREATE FUNCTION fill_reemission_key() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.reemission_key := coalesce(NEW.reemission_key, reemission_key_of(NEW.set_key, NEW.code_version));
  RETURN NEW;
END $$;
CREATE TRIGGER ingested_sets_reemission_key BEFORE INSERT ON ingested_sets
  FOR EACH ROW WHEN (NEW.reemission_key IS NULL) EXECUTE FUNCTION fill_reemission_key();

-- At most one live load per set whatever its version; a second loader of other content
-- (or of another version) cannot commit. Same name: the loader tells a load committed
-- meanwhile by another process by it.
DROP INDEX ingested_sets_live;
CREATE UNIQUE INDEX ingested_sets_live ON ingested_sets (source, reemission_key) WHERE status = 'loaded';
COMMENT ON COLUMN ingested_sets.reemission_key IS 'The set key with the code version as "*" (sdoss_*_20140221T000045_sdo): sets of one observation by any version; one live load per source and reemission key.';
