-- Stage "run": which observations are done, which jobs were submitted for them, and how
-- each task ended. A job row (with its token) is written BEFORE sbatch is called, so a
-- daemon killed at any point finds its jobs again by name instead of submitting twice.

CREATE TABLE observations (
  pipeline       text        NOT NULL,
  input          text        NOT NULL,
  obs            text        NOT NULL,
  night          date        NOT NULL,
  state          text        NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'active', 'done', 'failed')),
  failures       integer     NOT NULL DEFAULT 0,
  retry_at       timestamptz,
  last_error     text,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, input)
);
CREATE INDEX observations_open ON observations (pipeline) WHERE state IN ('pending', 'active');

COMMENT ON TABLE observations IS 'One row per input file of a pipeline: the ledger that keeps an observation from being processed twice.';
COMMENT ON COLUMN observations.input IS 'Absolute path of the observation file, as discovered by inputs.glob.';
COMMENT ON COLUMN observations.obs IS 'Observation id: the file name without its extension ({obs} in the command).';
COMMENT ON COLUMN observations.night IS 'The observing night whose glob found the file ({date} in the command).';
COMMENT ON COLUMN observations.state IS 'pending: to submit (at retry_at); active: a job is running it; done: outputs are in the outbox; failed: set aside for a person.';
COMMENT ON COLUMN observations.failures IS 'Failed attempts so far; a retryable failure is retried while failures <= run.retries.';

CREATE TABLE jobs (
  id               bigserial   PRIMARY KEY,
  token            text        NOT NULL UNIQUE,
  name             text        NOT NULL UNIQUE,
  pipeline         text        NOT NULL,
  run_id           bigint      REFERENCES runs (id) ON DELETE SET NULL,
  executor         text        NOT NULL CHECK (executor IN ('slurm', 'local')),
  is_array         boolean     NOT NULL,
  scheduler_id     text,
  state            text        NOT NULL DEFAULT 'submitting'
                               CHECK (state IN ('submitting', 'submitted', 'rejected', 'finished')),
  job_dir          text        NOT NULL,
  script_path      text        NOT NULL,
  submit_argv      jsonb       NOT NULL,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  submitted_at     timestamptz,
  finished_at      timestamptz
);
CREATE INDEX jobs_active ON jobs (pipeline) WHERE state IN ('submitting', 'submitted');

COMMENT ON TABLE jobs IS 'One row per submission (one sbatch call, or one local launch): a job array or a single job.';
COMMENT ON COLUMN jobs.token IS 'Random token persisted before submitting; the job name carries it, so a restarted daemon re-attaches by name.';
COMMENT ON COLUMN jobs.scheduler_id IS 'SLURM job id (the array id for arrays); NULL while the submission is not confirmed.';
COMMENT ON COLUMN jobs.state IS 'submitting: token saved, sbatch outcome unknown; submitted: id known; rejected: sbatch refused it; finished: every task ended.';
COMMENT ON COLUMN jobs.job_dir IS 'Directory of the generated batch script, the per-task argument files and the exit markers.';
COMMENT ON COLUMN jobs.submit_argv IS 'The exact argv used to submit, for the record and for operators.';

CREATE TABLE job_tasks (
  job            bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  task_index     integer     NOT NULL,
  pipeline       text        NOT NULL,
  input          text        NOT NULL,
  obs            text        NOT NULL,
  attempt        integer     NOT NULL,
  state          text        NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'running', 'completed', 'failed', 'lost', 'interrupted')),
  scheduler_state text,
  exit_code      integer,
  signal         integer,
  reason         text,
  retryable      boolean,
  log_path       text        NOT NULL,
  log_tail       text,
  outputs        jsonb,
  started_at     timestamptz,
  finished_at    timestamptz,
  PRIMARY KEY (job, task_index),
  FOREIGN KEY (pipeline, input) REFERENCES observations (pipeline, input)
);
CREATE INDEX job_tasks_observation ON job_tasks (pipeline, input);

COMMENT ON TABLE job_tasks IS 'One row per attempt at one observation: a task of a job array, or the only task of a single job.';
COMMENT ON COLUMN job_tasks.task_index IS 'SLURM array task id (0 for a single job).';
COMMENT ON COLUMN job_tasks.scheduler_state IS 'Last state reported by the scheduler: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, ...';
COMMENT ON COLUMN job_tasks.exit_code IS 'Exit code of the detection code (from its exit marker, else from SLURM).';
COMMENT ON COLUMN job_tasks.signal IS 'Signal number that ended the task, if one did.';
COMMENT ON COLUMN job_tasks.reason IS 'Why the task failed, in words, naming the observation and job.';
COMMENT ON COLUMN job_tasks.log_path IS 'stdout and stderr of the task.';
COMMENT ON COLUMN job_tasks.log_tail IS 'Last lines of the log, kept when the task failed.';
COMMENT ON COLUMN job_tasks.outputs IS 'Files the task published into the outbox (names), from its exit marker.';
