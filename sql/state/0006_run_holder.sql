-- Who holds a live run, precisely enough for a later process to know that the holder is
-- gone: a daemon killed and restarted takes over its predecessor's runs at once instead
-- of waiting out their lease.

ALTER TABLE runs ADD COLUMN holder text;

COMMENT ON COLUMN runs.holder IS 'The holder''s process namespace, "<boot id>/<pid namespace>" (Linux): a process in the same namespace may take the run over at once when pid is gone. NULL where unknown: only the lease then frees the run.';
