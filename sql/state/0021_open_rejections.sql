-- The rejections (and quarantined quicklooks) not made good since, by one rule for every
-- reader: nocturne retry, the pending counts (status, metrics), the alerts' digest and the
-- catalogue's rejected_sets, rejected_files and night_problems. A later load of the same set key (file path) from the
-- same source makes a rejection good; for a set rejected as incomplete, only a load that
-- has each role the rejection had (its features, not its init loaded alone), whatever
-- their content: a re-emitted or re-run observation settles it too. Ids only, so that no
-- later change to the ledgers' columns has to reckon with these views.
CREATE VIEW open_rejected_sets AS
  SELECT s.id
    FROM ingested_sets s
   WHERE s.status IN ('rejected', 'refused')
     AND NOT EXISTS (SELECT 1 FROM ingested_sets l
                      WHERE l.source = s.source AND l.set_key = s.set_key
                        AND l.status = 'loaded' AND l.first_seen_at > s.first_seen_at
                        AND (NOT s.incomplete
                             OR l.members @> (SELECT coalesce(jsonb_agg(jsonb_build_object('role', m ->> 'role')), '[]'::jsonb)
                                                FROM jsonb_array_elements(s.members) m)));
COMMENT ON VIEW open_rejected_sets IS 'Sets rejected or refused and not made good since (see 0021_open_rejections.sql).';

CREATE VIEW open_rejected_files AS
  SELECT f.id
    FROM ingested_files f
   WHERE f.status = 'rejected'
     AND NOT EXISTS (SELECT 1 FROM ingested_files l
                      WHERE l.source = f.source AND l.path = f.path
                        AND l.status = 'loaded' AND l.started_at > f.started_at);
COMMENT ON VIEW open_rejected_files IS 'Single CSV files rejected and not made good since by a later load of the same path.';

-- A quicklook quarantined by the upload and not made good since: a later transfer of the
-- same file (a good one put back, nocturne retry) that reached the archive.
CREATE VIEW open_quarantined_transfers AS
  SELECT t.id
    FROM transfers t
   WHERE t.state = 'quarantined'
     AND NOT EXISTS (SELECT 1 FROM transfers u
                      WHERE u.pipeline = t.pipeline AND u.local_path = t.local_path AND u.id > t.id
                        AND u.state IN ('deleted', 'kept'));
COMMENT ON VIEW open_quarantined_transfers IS 'Files the upload quarantined and no later transfer of the same file archived.';
