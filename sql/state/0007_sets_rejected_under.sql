-- A set rejected for what it holds may be fine under a corrected pipeline configuration
-- or corrected metadata files: the ledger records what a rejection was decided under, and
-- a later run that reads the set under something else tries it again.

ALTER TABLE ingested_sets ADD COLUMN rejected_under text;

COMMENT ON COLUMN ingested_sets.rejected_under IS 'For a rejected set: SHA-256 of what the rejection was decided under (the pipeline''s ingest configuration and the metadata files read for the set). A later run under another one tries the same content again. NULL before migration 0007 (such rejections are tried once more).';
