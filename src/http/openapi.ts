/**
 * The OpenAPI 3.1 description of everything under /api/, served at /api/openapi.json.
 * The tests validate every answer of every endpoint against it (test/unit/http and
 * test/integration/monitor), so it cannot drift from the code unnoticed.
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
const bool: Schema = { type: 'boolean' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const night: Schema = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const orNull = (schema: Schema): Schema => ({ oneOf: [schema, { type: 'null' }] });
const arr = (items: Schema): Schema => ({ type: 'array', items });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const counters: Schema = { type: 'object', additionalProperties: { type: ['number', 'string'] } };
const numbers: Schema = { type: 'object', additionalProperties: num };

/** An object with exactly these properties, all required unless listed in `optional`. */
function obj(properties: Record<string, Schema>, optional: string[] = [], open = false): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: open,
  };
}

const STAGE: Schema = { enum: ['run', 'upload', 'ingest'] };
const RUN_STATE: Schema = { enum: ['running', 'succeeded', 'failed', 'skipped', 'interrupted'] };

const schemas: Record<string, Schema> = {
  Error: obj({ error: str, code: str }, ['code']),
  RunBrief: obj({
    id: int,
    slot: dateTime,
    trigger: str,
    state: RUN_STATE,
    host: str,
    startedAt: dateTime,
    finishedAt: orNull(dateTime),
    detail: str,
  }),
  // Open: other stages add their own fields to the status (status-report.ts).
  StageStatus: obj(
    {
      pipeline: str,
      stage: STAGE,
      schedule: str,
      timezone: str,
      onThisHost: bool,
      next: orNull(dateTime),
      running: orNull(ref('RunBrief')),
      last: orNull(ref('RunBrief')),
      lastSuccessAt: orNull(dateTime),
      pending: numbers,
      pendingError: str,
      paused: obj({ reason: str, by: str, since: dateTime }),
    },
    ['pendingError', 'paused'],
    true,
  ),
  RunProgress: obj({ unit: str, done: int, total: int, counters }),
  OverviewStage: {
    allOf: [ref('StageStatus')],
    type: 'object',
    properties: { scheduleText: str, lastDurationSeconds: orNull(num), progress: orNull(ref('RunProgress')) },
    required: ['scheduleText', 'lastDurationSeconds', 'progress'],
  },
  AttentionItem: obj({
    pipeline: str,
    kind: {
      enum: [
        'failed-runs',
        'failed-observations',
        'quarantined-quicklooks',
        'rejected-files',
        'quarantined-rows',
        'rejected-sets',
        'files-waiting',
      ],
    },
    count: int,
    text: str,
    link: str,
  }),
  // A reprocessing campaign (src/campaigns/describe.ts).
  Campaign: obj({
    id: int,
    pipeline: str,
    from: night,
    to: night,
    stages: arr(STAGE),
    state: { enum: ['running', 'paused', 'cancelled', 'done', 'failed'] },
    codeVersion: str,
    maxRunning: int,
    nice: int,
    qos: orNull(str),
    createdBy: str,
    createdAt: dateTime,
    nights: int,
    nightsDone: int,
    observations: obj({ pending: int, active: int, done: int, failed: int }),
    driver: orNull(obj({ host: str, pid: int, heartbeatAt: orNull(dateTime) })),
    error: orNull(str),
  }),
  Campaigns: arr(ref('Campaign')),
  Overview: obj({
    generatedAt: dateTime,
    attentionSince: dateTime,
    stages: arr(ref('OverviewStage')),
    attention: arr(ref('AttentionItem')),
  }),
  Pipelines: obj({ state: str, host: { type: 'object' }, stages: arr(ref('StageStatus')), incidents: arr(ref('Incident')) }),
  // An incident of alerting (src/alerts/incident-rows.ts).
  Incident: obj({
    id: int,
    kind: { enum: ['stage_failed', 'slot_missed', 'work_failed', 'work_stuck', 'unreachable', 'disk_low', 'host_stopped'] },
    pipeline: orNull(str),
    stage: orNull(STAGE),
    subject: orNull(str),
    summary: str,
    size: int,
    openedAt: dateTime,
    openedBy: str,
    resolvedAt: orNull(dateTime),
    resolvedBy: orNull(str),
    resolution: orNull(str),
    messages: { type: 'object', additionalProperties: int },
  }),
  Incidents: arr(ref('Incident')),
  // Rows of the runs table as stored: columns may be added by later migrations.
  RunRow: obj(
    {
      id: int,
      pipeline: str,
      stage: STAGE,
      slot: dateTime,
      trigger: str,
      state: RUN_STATE,
      attempt: int,
      host: str,
      pid: int,
      started_at: dateTime,
      finished_at: orNull(dateTime),
      error_code: orNull(str),
      error: orNull(str),
      stats: numbers,
    },
    [],
    true,
  ),
  RunRows: arr(ref('RunRow')),
  NightCell: obj({
    stage: STAGE,
    outcome: { enum: ['running', 'failed', 'interrupted', 'succeeded', 'skipped', 'none'] },
    runs: numbers,
    lastRunId: orNull(int),
  }),
  Nights: obj({
    nights: arr(night),
    pipelines: arr(obj({ pipeline: str, nights: arr(obj({ night, stages: arr(ref('NightCell')) })) })),
  }),
  NightRun: obj({
    id: int,
    pipeline: str,
    stage: STAGE,
    slot: dateTime,
    trigger: str,
    state: RUN_STATE,
    startedAt: dateTime,
    finishedAt: orNull(dateTime),
    summary: str,
  }),
  Night: obj({ night, runs: arr(ref('NightRun')) }),
  Task: obj({
    index: int,
    obs: str,
    input: str,
    attempt: int,
    state: str,
    schedulerState: orNull(str),
    exitCode: orNull(int),
    signal: orNull(int),
    reason: orNull(str),
    node: orNull(str),
    elapsedSeconds: orNull(num),
    logPath: str,
    logTail: orNull(str),
  }),
  Job: obj({
    id: int,
    name: str,
    executor: str,
    schedulerId: orNull(str),
    isArray: bool,
    codeVersion: orNull(str),
    state: str,
    submittedAt: orNull(dateTime),
    finishedAt: orNull(dateTime),
    error: orNull(str),
    tasks: arr(ref('Task')),
  }),
  File: obj({
    id: int,
    kind: { enum: ['output', 'thumbnail'] },
    localPath: str,
    target: str,
    remotePath: str,
    state: str,
    verifyMethod: orNull(str),
    sizeBytes: int,
    error: orNull(str),
    quarantinePath: orNull(str),
  }),
  LoadIssue: obj({ file: orNull(str), line: orNull(int), column: orNull(str), value: orNull(str), reason: str }),
  Load: obj({
    kind: { enum: ['set', 'file'] },
    id: int,
    name: str,
    status: str,
    rowsLoaded: int,
    rowsRejected: int,
    error: orNull(str),
    issues: arr(ref('LoadIssue')),
  }),
  Run: obj({
    run: obj({
      id: int,
      pipeline: str,
      stage: STAGE,
      night,
      slot: dateTime,
      trigger: str,
      state: RUN_STATE,
      attempt: int,
      host: str,
      startedAt: dateTime,
      finishedAt: orNull(dateTime),
      durationSeconds: orNull(num),
      errorCode: orNull(str),
      error: orNull(str),
      stats: numbers,
    }),
    jobs: arr(ref('Job')),
    files: arr(ref('File')),
    loads: arr(ref('Load')),
    rows: arr(obj({ file: str, line: int, reason: str, raw: str })),
  }),
  QuarantineEntry: obj({
    kind: { enum: ['quicklook', 'csv-file', 'csv-row', 'file-set', 'observation'] },
    pipeline: str,
    at: dateTime,
    night: orNull(night),
    name: str,
    location: orNull(str),
    reason: str,
    place: orNull(str),
    runId: orNull(int),
    thumbnail: orNull(str),
  }),
  Quarantine: obj({ filter: obj({ pipeline: str, night }, ['pipeline', 'night']), entries: arr(ref('QuarantineEntry')) }),
  Quicklooks: obj({
    night,
    pipelines: arr(
      obj({
        pipeline: str,
        quicklooks: arr(obj({ pipeline: str, name: str, remotePath: str, state: str, runId: orNull(int), thumbnail: str })),
      }),
    ),
  }),
  // The chain is the catalogue's lineage() (sql/catalogue/README.md), with the operators' details.
  Lineage: obj({
    query: orNull({ type: 'object' }),
    problem: orNull(str),
    chain: orNull(
      obj({
        catalogue: str,
        load: obj({
          id: int,
          pipeline: str,
          code: str,
          codeVersion: str,
          setKey: str,
          kind: str,
          night: orNull(night),
          status: str,
          source: str,
          rows: numbers,
          finishedAt: orNull(dateTime),
          runId: orNull(int),
        }),
        members: arr(
          obj({
            role: str,
            path: str,
            sha256: str,
            sizeBytes: int,
            transfer: orNull(
              obj({
                id: int,
                target: str,
                remotePath: str,
                localPath: str,
                state: str,
                verifyMethod: orNull(str),
                verifiedAt: orNull(dateTime),
                url: str,
                runId: orNull(int),
              }),
            ),
            task: orNull(
              obj({
                jobId: int,
                executor: str,
                schedulerId: orNull(str),
                taskIndex: int,
                slurmJob: orNull(str),
                node: orNull(str),
                codeVersion: orNull(str),
                obs: str,
                input: str,
                attempt: int,
                state: str,
                exitCode: orNull(int),
                elapsedSeconds: orNull(num),
                logPath: str,
                logTail: orNull(str),
                runId: orNull(int),
              }),
            ),
          }),
        ),
      }),
    ),
  }),
  ReloadResult: {
    oneOf: [
      obj(
        {
          ok: { const: true },
          added: arr(str),
          removed: arr(str),
          changed: arr(str),
          restartNeeded: arr(str),
          warnings: arr({ type: 'object' }),
        },
        ['warnings'],
      ),
      obj(
        {
          ok: { const: false },
          message: str,
          issues: arr(obj({ file: str, line: int, col: int, message: str, warning: bool }, ['warning'])),
          unavailable: { const: true },
        },
        ['unavailable'],
      ),
    ],
  },
};

const jsonOf = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const errors = {
  '400': {
    description:
      'A parameter is wrong (an id that is not digits from 1 to 2^63−1, a night that is not a real date, a malformed percent-escape, a control character); `error` says which.',
    ...jsonOf(ref('Error')),
  },
  '503': { description: 'The state database does not answer.', ...jsonOf(ref('Error')) },
};
const q = (name: string, description: string, schema: Schema = str) => ({ name, in: 'query', required: false, description, schema });
const p = (name: string, description: string, schema: Schema = str) => ({ name, in: 'path', required: true, description, schema });
const pipelineQ = q('pipeline', 'Only this pipeline.');
const nightQ = q('night', 'An observing night, a real date YYYY-MM-DD.', night);
/** A bigint row id: digits only, up to 2^63−1 (a JSON number cannot say that maximum exactly). */
const idP = (description: string) => p('id', `${description} Digits only, 1 to 2^63−1.`, { type: 'integer', minimum: 1 });

function get(summary: string, schema: string, parameters: unknown[] = [], extra: Record<string, unknown> = {}) {
  return { get: { summary, parameters, responses: { '200': { description: summary, ...jsonOf(ref(schema)) }, ...errors, ...extra } } };
}

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'nocturne daemon API',
    version: '1',
    description:
      'What the web monitor shows, as JSON. Every request must name the daemon in Host (loopback, or http.publicNames). ' +
      'With http.auth configured, every endpoint needs authentication (HTTP Basic, or a trusted proxy). ' +
      "POST endpoints always need it (or the daemon's local token as a Bearer token) and refuse cross-origin requests.",
  },
  servers: [{ url: '/' }],
  components: {
    schemas,
    securitySchemes: {
      basic: { type: 'http', scheme: 'basic', description: 'http.auth: {user, passwordHash}' },
      localToken: { type: 'http', scheme: 'bearer', description: 'The token the daemon writes to <paths.state>/http.token at each start.' },
    },
  },
  paths: {
    '/api/overview': get('Every pipeline × stage: schedule, last run, what runs now, what needs attention.', 'Overview'),
    '/api/pipelines': get('Every pipeline × stage, as `nocturne status` shows it.', 'Pipelines'),
    '/api/runs': get('The newest runs.', 'RunRows', [pipelineQ, q('limit', '1 to 1000 (default 50).', int)]),
    '/api/incidents': get(
      'Incidents of alerting, newest first, with their messages by state.',
      'Incidents',
      [q('open', '1: only the open ones.'), q('limit', '1 to 1000 (default 50).', int)],
      { '404': { description: 'This daemon has no alerting.', ...jsonOf(ref('Error')) } },
    ),
    '/api/campaigns': get(
      'Reprocessing campaigns (nocturne backfill), newest first, with their progress.',
      'Campaigns',
      [q('open', '1: only those running or paused.')],
      { '404': { description: 'This daemon has no state database to read them from.', ...jsonOf(ref('Error')) } },
    ),
    '/api/runs/{id}': get('One run: its record, jobs and tasks, files, loads and refused rows.', 'Run', [idP('Run id.')], {
      '404': { description: 'No such run.', ...jsonOf(ref('Error')) },
    }),
    '/api/nights': get('Pipelines × the last nights, per stage the worst outcome of the night.', 'Nights', [
      pipelineQ,
      q('nights', 'How many nights (default http.monitor.nights).', int),
    ]),
    '/api/nights/{night}': get('Every run of one night.', 'Night', [p('night', 'A real date YYYY-MM-DD.', night), pipelineQ]),
    '/api/quarantine': get('What every stage set aside, by pipeline and night (default: the last 30 days).', 'Quarantine', [
      pipelineQ,
      nightQ,
    ]),
    '/api/quicklooks': get("The thumbnails a night's upload runs made, per pipeline.", 'Quicklooks', [pipelineQ, nightQ]),
    '/api/lineage': get(
      "From a load, a set key or an archive path: the catalogue's lineage() (the load, its files, their transfers, the tasks that made them, where they ran and the code version), with log tails and local paths.",
      'Lineage',
      [q('load', 'A load_id of the catalogue.', int), q('set', 'A set key.'), q('path', 'An archive path of a member file.')],
    ),
    '/api/thumbnails/{id}': {
      get: {
        summary:
          'A thumbnail made safely from a quicklook (transfer id); a redirect to a placeholder when none can be made (remembered for 10 minutes). ' +
          'The monitor reads the archive over one session at a time.',
        parameters: [idP('Transfer id.')],
        responses: {
          '200': { description: 'A JPEG.', content: { 'image/jpeg': {} } },
          '302': { description: 'To /assets/no-thumbnail.svg.' },
          '400': errors['400'],
          '404': { description: 'No quicklook transfer by that id (another kind of transfer is never read).', ...jsonOf(ref('Error')) },
          '503': {
            description: 'Other thumbnails are being read from the archive: try again after Retry-After seconds.',
            ...jsonOf(ref('Error')),
          },
        },
      },
    },
    '/api/events': {
      get: {
        summary:
          'Server-Sent Events: one JSON object per `data:` line, with `type` run-started, run-finished, progress, file, set, slot-skipped, slot-errored or runs-changed.',
        responses: { '200': { description: 'An event stream.', content: { 'text/event-stream': {} } } },
      },
    },
    '/api/reload': {
      post: {
        summary: 'Reload the configuration directory (what `nocturne reload` does).',
        security: [{ localToken: [] }, { basic: [] }],
        responses: {
          '200': { description: 'Applied.', ...jsonOf(ref('ReloadResult')) },
          '401': { description: 'Not authenticated.', ...jsonOf(ref('Error')) },
          '403': { description: 'Cross-origin request.', ...jsonOf(ref('Error')) },
          '422': { description: 'Refused: the configuration is invalid; nothing changed.', ...jsonOf(ref('ReloadResult')) },
          '503': {
            description: 'Not taken: the daemon is starting or stopping (unavailable: true); nothing changed.',
            ...jsonOf(ref('ReloadResult')),
          },
        },
      },
    },
    '/api/openapi.json': {
      get: { summary: 'This description.', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } },
    },
  },
} as const;
