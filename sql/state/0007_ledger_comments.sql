-- A set replaced by a content with fewer features loses the tracking rows that pointed at
-- the features it no longer has: the track file's ledger row says so.

COMMENT ON COLUMN ingested_sets.error IS 'For a rejected or refused set: the first located error, "file:line[:column]: reason". For a loaded track file: how many of its rows were removed since, and why (a replace of their features'' set with fewer features); rows still counts what was inserted.';

-- FTP listings now carry times from MDTM where the server offers no MLSD (vsftpd).
COMMENT ON COLUMN ingested_files.modified_at IS 'Modification time of the file as listed (local, SFTP, FTP by MLSD or MDTM; NULL when the server gives none), used with path and size to skip files already seen.';
