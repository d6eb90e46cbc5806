-- Stage "run": where each task ran and which version of the code the job ran, for the
-- run page and the catalogue's lineage (issues 21 and 22). Rows written before this
-- migration keep NULL: nocturne did not know then.

ALTER TABLE job_tasks ADD COLUMN IF NOT EXISTS node text;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS code_version text;

COMMENT ON COLUMN job_tasks.node IS 'Node the task ran on, as the scheduler names it (SLURM NodeList; the local executor: this host''s name). NULL until it runs, and for a task that never ran.';
COMMENT ON COLUMN jobs.code_version IS 'Version of the detection code the job ran: the pipeline''s code.version when it was submitted.';
