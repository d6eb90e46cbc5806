-- A set replaced by a content with fewer features loses the tracking rows that pointed at
-- the features it no longer has: the track file's ledger row says so (and counts them out).

COMMENT ON COLUMN ingested_sets.error IS 'For a rejected or refused set: the first located error, "file:line[:column]: reason". For a loaded track file: why some of its rows were removed since (a replace of their features'' set with fewer features), with how many.';
COMMENT ON COLUMN ingested_sets.rows IS 'Rows written per table, e.g. {"observations": 2, "sunspots": 14}; for a track file, the rows still in the catalogue (see error).';

-- FTP listings now carry times from MDTM where the server offers no MLSD (vsftpd).
COMMENT ON COLUMN ingested_files.modified_at IS 'Modification time of the file as listed (local, SFTP, FTP by MLSD or MDTM; NULL when the server gives none), used with path and size to skip files already seen.';
