-- HFC-like feature catalogue: tables. Names are unqualified on purpose: the installer
-- (install.psql, or installCatalogue() in src/stages/ingest/catalogue.ts) sets
-- search_path to "<catalogue schema>, <nocturne state schema>", so tables land in the
-- catalogue schema and ingested_file_id references the state schema's ledger.
-- Idempotent: run it again after an upgrade of nocturne.

CREATE TABLE IF NOT EXISTS codes (
  code          text        NOT NULL,
  version       text        NOT NULL,
  feature_type  text        NOT NULL,
  institut      text,
  description   text,
  reference     text,
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (code, version)
);
COMMENT ON TABLE codes IS 'Feature recognition codes (detection codes) and their versions, as named in pipelines/*.yaml (code.name, code.version).';
COMMENT ON COLUMN codes.code IS 'Code name, e.g. sdoss (lower case, as in the pipeline file).';
COMMENT ON COLUMN codes.version IS 'Code version, e.g. 1.06; recorded with every ingested file.';
COMMENT ON COLUMN codes.feature_type IS 'Feature table the code fills: sunspots, active_regions or type_iii.';
COMMENT ON COLUMN codes.institut IS 'Institute maintaining the code (HFC FRC_INFO.INSTITUT).';
COMMENT ON COLUMN codes.description IS 'What the code detects and how.';
COMMENT ON COLUMN codes.reference IS 'Publication describing the method (DOI or citation).';
COMMENT ON COLUMN codes.registered_at IS 'When this code version was registered here.';

CREATE TABLE IF NOT EXISTS observations (
  observation_id   bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  obs_id           text             NOT NULL,
  instrume         text             NOT NULL,
  date_obs         timestamptz      NOT NULL,
  date_end         timestamptz,
  observat         text,
  telescop         text,
  wavename         text,
  exp_time         double precision,
  filename         text             NOT NULL,
  url              text,
  qclk_fname       text,
  ingested_file_id bigint           NOT NULL REFERENCES ingested_files (id),
  UNIQUE (instrume, obs_id)
);
CREATE INDEX IF NOT EXISTS observations_date_obs ON observations (date_obs);
CREATE INDEX IF NOT EXISTS observations_ingested_file ON observations (ingested_file_id);
COMMENT ON TABLE observations IS 'Observations (images, spectra) processed by the detection codes; features refer to them by (instrume, obs_id).';
COMMENT ON COLUMN observations.observation_id IS 'Surrogate key, assigned on insert.';
COMMENT ON COLUMN observations.obs_id IS 'Observation identifier written by the detection code (OBS_ID, e.g. hmi_000045); unique per instrument.';
COMMENT ON COLUMN observations.instrume IS 'Instrument (FITS INSTRUME), e.g. HMI.';
COMMENT ON COLUMN observations.date_obs IS 'Start of the observation, UTC (FITS DATE-OBS).';
COMMENT ON COLUMN observations.date_end IS 'End of the observation, UTC; NULL when not given.';
COMMENT ON COLUMN observations.observat IS 'Observatory or mission (FITS OBSERVAT), e.g. SDO.';
COMMENT ON COLUMN observations.telescop IS 'Telescope or channel (FITS TELESCOP).';
COMMENT ON COLUMN observations.wavename IS 'Name of the wavelength or line observed, e.g. Fe I.';
COMMENT ON COLUMN observations.exp_time IS 'Exposure time in seconds.';
COMMENT ON COLUMN observations.filename IS 'Name of the observation data file (e.g. the FITS file) the code read.';
COMMENT ON COLUMN observations.url IS 'Where the observation data file can be fetched.';
COMMENT ON COLUMN observations.qclk_fname IS 'File name of the quicklook image (JPEG) of this observation, NULL if none.';
COMMENT ON COLUMN observations.ingested_file_id IS 'Provenance: the ingested CSV (ledger row) this row came from.';

-- The three feature tables share one shape: the columns the example detection code
-- writes (";"-separated, UPPER-CASE header; lower-case names here).
CREATE TABLE IF NOT EXISTS sunspots (
  feature_id         bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id_feat            integer          NOT NULL,
  obs_id             text             NOT NULL,
  date_obs           timestamptz      NOT NULL,
  instrume           text             NOT NULL,
  feat_x_arcsec      double precision,
  feat_y_arcsec      double precision,
  feat_hg_long_deg   double precision,
  feat_hg_lat_deg    double precision,
  feat_carr_long_deg double precision,
  feat_carr_lat_deg  double precision,
  feat_area_deg2     double precision,
  feat_mean_int      double precision,
  feat_max_int       double precision,
  cc                 text,
  cc_length          integer,
  feat_filename      text             NOT NULL,
  run_date           timestamptz      NOT NULL,
  ingested_file_id   bigint           NOT NULL REFERENCES ingested_files (id),
  UNIQUE (feat_filename, id_feat)
);
COMMENT ON TABLE sunspots IS 'Sunspots detected on white-light images, one row per feature per detection run.';
COMMENT ON COLUMN sunspots.feature_id IS 'Surrogate key, assigned on insert.';
COMMENT ON COLUMN sunspots.id_feat IS 'Feature number within its feature file (ID_FEAT); with feat_filename, the natural key.';
COMMENT ON COLUMN sunspots.obs_id IS 'Observation the feature was detected on (OBS_ID, e.g. hmi_000045); see observations (instrume, obs_id).';
COMMENT ON COLUMN sunspots.date_obs IS 'Time of the observation, UTC (DATE_OBS).';
COMMENT ON COLUMN sunspots.instrume IS 'Instrument of the observation (INSTRUME), e.g. HMI.';
COMMENT ON COLUMN sunspots.feat_x_arcsec IS 'Feature centre, helioprojective X, arcseconds from disc centre (FEAT_X_ARCSEC).';
COMMENT ON COLUMN sunspots.feat_y_arcsec IS 'Feature centre, helioprojective Y, arcseconds from disc centre (FEAT_Y_ARCSEC).';
COMMENT ON COLUMN sunspots.feat_hg_long_deg IS 'Feature centre, Stonyhurst heliographic longitude, degrees (FEAT_HG_LONG_DEG).';
COMMENT ON COLUMN sunspots.feat_hg_lat_deg IS 'Feature centre, heliographic latitude, degrees (FEAT_HG_LAT_DEG).';
COMMENT ON COLUMN sunspots.feat_carr_long_deg IS 'Feature centre, Carrington longitude, degrees (FEAT_CARR_LONG_DEG).';
COMMENT ON COLUMN sunspots.feat_carr_lat_deg IS 'Feature centre, Carrington latitude, degrees (FEAT_CARR_LAT_DEG).';
COMMENT ON COLUMN sunspots.feat_area_deg2 IS 'Feature area, square heliographic degrees (FEAT_AREA_DEG2).';
COMMENT ON COLUMN sunspots.feat_mean_int IS 'Mean intensity over the feature, instrument units (FEAT_MEAN_INT).';
COMMENT ON COLUMN sunspots.feat_max_int IS 'Maximum intensity over the feature, instrument units (FEAT_MAX_INT).';
COMMENT ON COLUMN sunspots.cc IS 'Chain code of the feature contour: digits 0-7, one per boundary step (CC).';
COMMENT ON COLUMN sunspots.cc_length IS 'Number of steps in the chain code (CC_LENGTH).';
COMMENT ON COLUMN sunspots.feat_filename IS 'Name of the feature CSV the row was read from (FEAT_FILENAME); with id_feat, the natural key.';
COMMENT ON COLUMN sunspots.run_date IS 'When the detection code produced the row, UTC (RUN_DATE).';
COMMENT ON COLUMN sunspots.ingested_file_id IS 'Provenance: the ingested CSV (ledger row: source, path, sha256, pipeline, code, version, run) this row came from.';
CREATE INDEX IF NOT EXISTS sunspots_observation ON sunspots (instrume, obs_id);
CREATE INDEX IF NOT EXISTS sunspots_ingested_file ON sunspots (ingested_file_id);

-- Same shape (columns, comments, keys) as sunspots; foreign keys are not copied by LIKE.
CREATE TABLE IF NOT EXISTS active_regions (
  LIKE sunspots INCLUDING ALL,
  FOREIGN KEY (ingested_file_id) REFERENCES ingested_files (id)
);
COMMENT ON TABLE active_regions IS 'Active regions detected on EUV images, one row per feature per detection run.';

CREATE TABLE IF NOT EXISTS type_iii (
  LIKE sunspots INCLUDING ALL,
  FOREIGN KEY (ingested_file_id) REFERENCES ingested_files (id)
);
COMMENT ON TABLE type_iii IS 'Type III radio bursts detected on dynamic spectra, one row per feature per detection run (positions are those of the burst source).';
