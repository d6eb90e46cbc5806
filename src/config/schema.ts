/**
 * The single source of truth for both YAML files: the validator, the TypeScript types
 * and the JSON Schema in `schema/` (for editor autocompletion) all derive from here.
 *
 * Conventions: keys are camelCase; durations are strings such as "90s", "15m", "6h";
 * secrets are never written inline, only referenced ({env}, {file} or {credential}).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { durationMs } from './durations.js';
import { parseFreeSpace } from './free-space.js';
import { clipped } from './issues.js';

// Without jitless, zod writes and compiles a parser for each object schema at its first
// parse (new Function), code that no cache keeps, for a configuration parsed once a
// start: `nocturne validate` of ten pipelines took 104 ms of CPU with it, 93 without.
z.config({ jitless: true });

export const STAGES = ['run', 'upload', 'ingest'] as const;
export type StageName = (typeof STAGES)[number];

/** A pipeline's, target's, ... name (a pipeline's is its file name too). */
export const PIPELINE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const name = z.string().regex(PIPELINE_NAME, 'must be lower-case letters, digits, "-" or "_", starting with a letter');

const DURATION_TEXT = /^\d+(ms|s|m|h|d)$/;
const MAX_DURATION_MS = 36_500 * 86_400_000;
/** A check of a duration's value, skipped when its shape is wrong (the regex says so). */
const ms = (ok: (value: number) => boolean) => (text: string) => !DURATION_TEXT.test(text) || ok(durationMs(text));

/** "90s", "15m", "6h", "2d": text here, milliseconds (`…Ms`) in the resolved configuration (resolve.ts). */
export const duration = z
  .string()
  .regex(DURATION_TEXT, 'must be a duration such as "90s", "15m", "6h" or "2d"')
  // Beyond, PostgreSQL's intervals and dates overflow (a wait of 110000000d came back negative).
  .refine(
    ms((n) => n <= MAX_DURATION_MS),
    'must be at most 36500d (100 years)',
  )
  .describe('A duration: a whole number followed by ms, s, m, h or d.');

/** Node's timers take at most 2^31 - 1 ms: a longer one fires at once (with a warning) or throws. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/** A duration a timer waits for. */
const wait = duration.refine(
  ms((n) => n <= MAX_WAIT_MS),
  'must be at most 24d: a timer waits for it, and none waits longer',
);
/** A pace or a deadline: zero would make a loop that never waits, or a deadline already past. */
const period = duration.refine(
  ms((n) => n > 0),
  'must be longer than 0',
);
/** A pace or a deadline that a timer waits for. */
const timer = wait.refine(
  ms((n) => n > 0),
  'must be longer than 0',
);

export const secretRef = z
  .union([
    z.strictObject({
      env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable: letters, digits and "_"')
        .describe('Name of an environment variable holding the secret.'),
    }),
    z.strictObject({ file: z.string().min(1).describe('Path of a file holding the secret (not readable by group/other).') }),
    z.strictObject({
      credential: z
        .string()
        .regex(/^(?!\.\.?$)[^/\0]+$/, 'must be a credential name: a file of $CREDENTIALS_DIRECTORY itself, without "/", not "." or ".."')
        .describe('Name of a systemd credential, read from $CREDENTIALS_DIRECTORY.'),
    }),
  ])
  .describe('A reference to a secret: {env: NAME}, {file: PATH} or {credential: NAME}. Never the secret itself.');
export type SecretRef = z.infer<typeof secretRef>;

// zod's describe() makes a new schema: the secret references described in place are
// kept here, so that the checks that find secrets through the schema find them too.
const describedSecretRefs = new Set<z.ZodType>([secretRef]);

/** secretRef with a description of its own, still found as a secret reference (isSecretRefSchema). */
function secretRefDescribed(description: string): typeof secretRef {
  const described = secretRef.describe(description);
  describedSecretRefs.add(described);
  return described;
}

/** Whether `schema` is a secret reference: its value is never echoed, and is resolved at start (secret-check.ts). */
export function isSecretRefSchema(schema: z.ZodType): boolean {
  return describedSecretRefs.has(schema);
}

const port = z.number().int().min(1).max(65535);

/** A SLURM partition or account name. */
const slurmName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a SLURM name: letters, digits, "_", "." or "-"');

// ---------------------------------------------------------------- config/nocturne.yaml

const publicUrl = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL, e.g. https://hfc.example.org/archive')
  .optional()
  .describe(
    "Base URL under which this target's files can be seen: a file archived at remote path /hfc/x.jpg is <publicUrl>/hfc/x.jpg. The catalogue's quicklook_url uses it; without it, quicklook_url is <target>:<remote path>.",
  );

const ftpTarget = z.strictObject({
  type: z.enum(['ftp', 'ftps']).describe('ftp: plain FTP (needs insecure: true); ftps: explicit FTPS (AUTH TLS).'),
  host: z.string().min(1).describe('Host name or address of the FTP server.'),
  port: port.default(21).describe('TCP port of the FTP server.'),
  user: z.string().min(1).describe('User to log in as.'),
  password: secretRef,
  ca: z.string().optional().describe('PEM file of the CA (or self-signed certificate) to trust for FTPS.'),
  insecure: z.boolean().default(false).describe('Required to be true for plain FTP: credentials travel in clear.'),
  connections: z.number().int().min(1).max(32).default(4).describe('Parallel connections for uploads.'),
  timeout: timer.default('30s').describe('Deadline for any single FTP operation.'),
  publicUrl,
});

const sftpTarget = z.strictObject({
  type: z.literal('sftp').describe('sftp: SSH file transfer, with a pinned host key.'),
  host: z.string().min(1).describe('Host name or address of the SSH server.'),
  port: port.default(22).describe('TCP port of the SSH server.'),
  user: z.string().min(1).describe('User to log in as.'),
  privateKey: secretRef.optional().describe('Private key used to log in (preferred).'),
  passphrase: secretRef.optional(),
  password: secretRef.optional(),
  hostKeySha256: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be an OpenSSH fingerprint such as "SHA256:..." (ssh-keygen -lf)')
    .describe('Pinned host key fingerprint; connections to any other key are refused.'),
  connections: z.number().int().min(1).max(32).default(4).describe('Parallel connections for uploads.'),
  timeout: timer.default('30s').describe('Deadline for any single SFTP operation.'),
  publicUrl,
});

const localTarget = z.strictObject({
  type: z.literal('local').describe('local: a directory of this machine.'),
  path: z.string().min(1).describe('Directory standing in for the archive (a mounted share, or a test).'),
  publicUrl,
});

/** A host:port whose host is a loopback address or name: reachable from this machine only. */
export function isLoopbackListen(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

const httpAuth = z
  .union([
    z.strictObject({
      user: z.string().min(1).describe('User name the browser logs in with (HTTP Basic over TLS, e.g. behind nginx).'),
      passwordHash: secretRefDescribed(
        'Reference to the scrypt hash of the password, "scrypt:N:r:p:salt:hash" (docs/operating.md, "The web monitor").',
      ),
    }),
    z.strictObject({
      trustedProxy: z
        .strictObject({
          userHeader: z
            .string()
            .regex(/^[A-Za-z0-9-]+$/, 'must be a header name such as X-Remote-User')
            .describe('Header in which the proxy names the user it authenticated.'),
          secret: secretRefDescribed('Shared secret the proxy sends in X-Nocturne-Proxy-Secret: without it the user header is ignored.'),
        })
        .describe('A reverse proxy (nginx) authenticates; nocturne believes its user header when it carries the shared secret.'),
    }),
  ])
  .describe('Authentication: {user, passwordHash} or {trustedProxy: {userHeader, secret}}.');
export type HttpAuthConfig = z.infer<typeof httpAuth>;

export const targetSchema = z.discriminatedUnion('type', [ftpTarget, sftpTarget, localTarget]);
export type TargetConfig = z.infer<typeof targetSchema>;

// ---------------------------------------------------------------- alerts (config/nocturne.yaml and pipelines)

/** What an incident is about; see docs/operating.md, Alerting. */
export const ALERT_KINDS = ['stage_failed', 'slot_missed', 'work_failed', 'work_stuck', 'unreachable', 'disk_low', 'host_stopped'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as "22:00"');
const FREE_SPACE_TEXT = /^\d+(\.\d+)?%$|^\d+(B|kB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;
/** Sizes up to 2^53 bytes are exact numbers; no disk under an outbox is that large. */
const MAX_FREE_BYTES = 2 ** 53;
/** "10GB", "500MiB" or "5%": free space below which a disk counts as low. */
const freeSpace = z
  .string()
  .regex(FREE_SPACE_TEXT, 'must be a size such as "10GB", "500MiB", or a share such as "5%"')
  // More than the whole disk would count every disk as low, for good.
  .refine((text) => !FREE_SPACE_TEXT.test(text) || !text.endsWith('%') || Number(text.slice(0, -1)) <= 100, 'must be at most 100%')
  .refine((text) => {
    if (!FREE_SPACE_TEXT.test(text) || text.endsWith('%')) return true;
    const threshold = parseFreeSpace(text);
    return 'bytes' in threshold && threshold.bytes <= MAX_FREE_BYTES;
  }, 'must be at most 8192TiB (no disk is larger)');
// No "," or ";": nodemailer takes them for a list, and sends to the first address only.
const emailAddress = z
  .string()
  .regex(/^[^\s@<>,;()"]+@[^\s@<>,;()"]+$/, 'must be one e-mail address such as ops@example.org (a list: one item each)');
const enabled = z.boolean().describe('Whether incidents of this kind are raised. @default true');

/**
 * The thresholds of each kind. Every key is optional here: a pipeline overrides only
 * what it names, and config/nocturne.yaml's alerts section holds the defaults.
 */
const alertThresholds = {
  stageFailed: z
    .strictObject({ enabled: enabled.optional() })
    .describe('A stage failed after its retries; resolved when that stage next succeeds.'),
  slotMissed: z
    .strictObject({
      enabled: enabled.optional(),
      grace: duration.optional().describe('How long after its slot a stage may take to succeed. @default 1h'),
    })
    .describe("No successful run of a stage within `grace` after its slot (a dead man's switch)."),
  workFailed: z
    .strictObject({
      enabled: enabled.optional(),
      digestDelay: duration.optional().describe("How long a night's digest collects items before its first message. @default 10m"),
      updateEvery: period
        .optional()
        .describe(
          'The least time between two messages of one digest: items added after its first message are told at most this often. @default 1h',
        ),
    })
    .describe('Failed observations, rejected sets, files and rows, and quarantined quicklooks: one digest per pipeline, stage and night.'),
  workStuck: z
    .strictObject({
      enabled: enabled.optional(),
      after: duration.optional().describe('How long files may wait in the upload ledger, or sets for their init file. @default 2h'),
    })
    .describe('Files waiting for upload, or sets waiting for their init file, longer than `after`.'),
  diskLow: z
    .strictObject({
      enabled: enabled.optional(),
      minFree: freeSpace.optional().describe('Free space below which the disk of the state directory or an outbox is low. @default "5%"'),
    })
    .describe('Disk space low under the state directory or an outbox.'),
};

const quietHours = z
  .strictObject({
    from: clockTime.describe('Start of the quiet hours (alerts.timezone).'),
    to: clockTime.describe('End of the quiet hours: messages held meanwhile are sent then.'),
  })
  .describe('Messages of this route are held during these hours, then sent.');

const alertRoute = z
  .strictObject({
    kinds: z.array(z.enum(ALERT_KINDS)).min(1).optional().describe('Kinds of incident this route receives. @default every kind'),
    pipelines: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Pipelines (names or globs such as "spoca-*") whose incidents this route receives; with it, incidents of no pipeline (hosts, database) are not sent here. @default every pipeline, and incidents of none',
      ),
    email: z.array(emailAddress).min(1).optional().describe('Addresses that get one e-mail each per message (alerts.email is the server).'),
    webhooks: z.array(name).min(1).optional().describe('Names of alerts.webhooks that get each message.'),
    quietHours: quietHours.optional(),
  })
  .describe('Who receives which incidents: at least one of email and webhooks.');

const alertEmail = z
  .strictObject({
    host: z.string().min(1).describe("SMTP server (the submission service of the site's mail relay)."),
    port: port.default(587).describe('SMTP port: 587 (STARTTLS) or 465 (security: tls).'),
    security: z
      .enum(['starttls', 'tls'])
      .default('starttls')
      .describe('starttls: plain connection upgraded by STARTTLS, refused without it; tls: TLS from the start (port 465).'),
    ca: z.string().optional().describe('PEM file of the CA (or self-signed certificate) to trust for the server.'),
    user: z.string().min(1).optional().describe('SMTP AUTH user name; no authentication without it.'),
    password: secretRef.optional().describe('SMTP AUTH password, with `user`.'),
    from: emailAddress.describe('Sender address of the messages.'),
    timeout: timer.default('30s').describe('Deadline for one message: connect, TLS, authenticate and send.'),
  })
  .describe('The SMTP server that alert e-mails go through.');

const alertWebhook = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
      .describe('Where each message is POSTed as JSON.'),
    secret: secretRef.optional().describe('Key of the HMAC-SHA256 signature sent in the X-Nocturne-Signature header.'),
    timeout: timer.default('10s').describe('Deadline for one POST.'),
  })
  .describe('A receiver of JSON POSTs (Slack, Mattermost, or a script of the site).');

export const alertsSchema = z
  .strictObject({
    evaluateEvery: timer.default('30s').describe('How often this host evaluates incidents and sends what is due.'),
    timezone: z.string().default('UTC').describe('IANA time zone of quiet hours, nightStartsAt and the times in messages.'),
    nightStartsAt: clockTime
      .default('00:00')
      .describe(
        "Work failed between this time and the same time the next day belongs to one night's digest; by default the calendar day, as the run stage names a night by its slot's date.",
      ),
    baseUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
      .optional()
      .describe(
        "Address of nocturne's HTTP interface (the monitor) as people reach it; messages then link to the run, night or page concerned.",
      ),
    remindEvery: period.optional().describe('Remind of every open incident this often. @default never'),
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(100).default(8).describe('Tries of one message before it is given up (logged as an error).'),
        first: timer.default('30s').describe('Wait before the second try; it doubles each time, with jitter.'),
        max: timer.default('30m').describe('Longest wait between two tries.'),
      })
      .default({ attempts: 8, first: '30s', max: '30m' })
      .describe('Tries of a message that could not be delivered (server down, refused for now).'),
    email: alertEmail.optional(),
    webhooks: z.record(name, alertWebhook).default({}).describe('Named webhook receivers, referenced by routes.'),
    routes: z.record(name, alertRoute).default({}).describe('Named routes: who receives which incidents.'),
    stageFailed: alertThresholds.stageFailed.default({}),
    slotMissed: alertThresholds.slotMissed.default({}),
    workFailed: alertThresholds.workFailed.default({}),
    workStuck: alertThresholds.workStuck.default({}),
    diskLow: alertThresholds.diskLow.default({}),
    unreachable: z
      .strictObject({
        enabled: enabled.optional(),
        after: duration.optional().describe('How long a target or the database may stay unreachable. @default 15m for targets'),
        databaseAfter: duration.optional().describe('The same for the state database, as this host sees it. @default 2m'),
      })
      .default({})
      .describe('An upload or ingest target, or the state database, unreachable longer than a threshold.'),
    hostStopped: z
      .strictObject({
        enabled: enabled.optional(),
        after: duration
          .optional()
          .describe('How long a host may go without a heartbeat (host.heartbeat) before another reports it. @default 5m'),
      })
      .default({})
      .describe('A host whose daemon stopped writing its heartbeat, reported by the other hosts.'),
  })
  // Runs even when other keys are wrong, so that one pass reports every problem: what it
  // reads may then be anything, hence the checks of each value's shape.
  .superRefine(
    (alerts, ctx) => {
      const raw = alerts as Record<string, unknown>;
      const mapping = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
      const known = Object.keys(mapping(raw['webhooks']));
      for (const [route, spec] of Object.entries(mapping(raw['routes']))) {
        const r = mapping(spec);
        if (r['email'] === undefined && r['webhooks'] === undefined) {
          ctx.addIssue({ code: 'custom', path: ['routes', route], message: 'a route needs email or webhooks (or both)' });
        }
        if (r['email'] !== undefined && raw['email'] === undefined) {
          ctx.addIssue({ code: 'custom', path: ['routes', route, 'email'], message: 'e-mail routes need alerts.email (the SMTP server)' });
        }
        (Array.isArray(r['webhooks']) ? (r['webhooks'] as unknown[]) : []).forEach((hook, i) => {
          if (typeof hook !== 'string' || known.includes(hook)) return;
          const hint = known.length > 0 ? ` (alerts.webhooks: ${known.join(', ')})` : ' (alerts.webhooks defines none)';
          ctx.addIssue({ code: 'custom', path: ['routes', route, 'webhooks', i], message: `unknown webhook "${hook}"${hint}` });
        });
      }
      const email = mapping(raw['email']);
      if (email['password'] !== undefined && email['user'] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['email', 'password'], message: 'a password needs alerts.email.user, the name it goes with' });
      }
      const timezone = raw['timezone'];
      if (typeof timezone === 'string') {
        try {
          new Intl.DateTimeFormat('en', { timeZone: timezone });
        } catch {
          ctx.addIssue({
            code: 'custom',
            path: ['timezone'],
            message: `unknown time zone "${clipped(timezone)}" (an IANA name such as Europe/Paris)`,
          });
        }
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .describe('Who is told of incidents, how, and when (see docs/operating.md, Alerting).');
export type AlertsConfig = z.infer<typeof alertsSchema>;

/** A pipeline's own thresholds: each key overrides config/nocturne.yaml's alerts section for this pipeline. */
export const pipelineAlertsSchema = z
  .strictObject({
    stageFailed: alertThresholds.stageFailed.optional(),
    slotMissed: alertThresholds.slotMissed.optional(),
    workFailed: alertThresholds.workFailed.optional(),
    workStuck: alertThresholds.workStuck.optional(),
    diskLow: alertThresholds.diskLow.optional(),
  })
  .describe("This pipeline's alert thresholds; what is not given comes from config/nocturne.yaml's alerts section.");
export type PipelineAlertsConfig = z.infer<typeof pipelineAlertsSchema>;

// ---------------------------------------------------------------- retention (config/nocturne.yaml)

// Compared with ages, never waited for: no timer's limit, but at least a day (0d would
// prune everything); at most a century, as every duration (nothing is kept forever).
const keepFor = (what: string, fallback: string) =>
  duration
    .refine(
      ms((n) => n >= 86_400_000),
      'must be at least 1d',
    )
    .default(fallback)
    .describe(`How long ${what} are kept. @default "${fallback}"`);

/** What `nocturne prune` and the daemon's housekeeping slot remove, and the run stage's disk guard (docs/operating.md, Retention). */
export const retentionSchema = z
  .strictObject({
    schedule: z
      .string()
      .default('30 12 * * *')
      .describe('Cron expression of the housekeeping slot (5 fields), in `timezone`. @default "30 12 * * *" (midday, away from the night)'),
    timezone: z.string().default('UTC').describe('IANA time zone of `schedule`. @default "UTC"'),
    jobs: keepFor('job directories (<paths.work>/run) and task logs (<paths.logs>) of ended jobs', '30d'),
    runs: keepFor(
      'runs of the history, with their jobs and tasks (never those a catalogue load comes from, or may still come from)',
      '400d',
    ),
    transferEvents: keepFor('events of closed transfers (never the verification of an archived file)', '90d'),
    goneFiles: keepFor(
      'ledger rows of files long gone (missing transfers; quarantined transfers and rejected local CSVs whose file is gone)',
      '180d',
    ),
    operatorActions: keepFor(
      "records of pauses, resumes and retries (nocturne history), with each retried item's earlier attempt (never those of a pause still in effect)",
      '400d',
    ),
    thumbnails: keepFor('thumbnails left in <paths.work>/<pipeline>/thumbnails', '30d'),
    quarantine: keepFor('quarantined files (and their .reason.txt) under paths.quarantine', '90d'),
    batchSize: z
      .number()
      .int()
      .min(10)
      .max(100_000)
      .default(1000)
      .describe('Rows removed per statement (each its own short transaction). @default 1000'),
    minFreeDisk: freeSpace
      .default('2%')
      .describe(
        'The run stage submits nothing while the outbox\'s disk has less free space than this ("10GB", "500MiB" or "2%"). @default "2%"',
      ),
  })
  .default({
    schedule: '30 12 * * *',
    timezone: 'UTC',
    jobs: '30d',
    runs: '400d',
    transferEvents: '90d',
    goneFiles: '180d',
    operatorActions: '400d',
    thumbnails: '30d',
    quarantine: '90d',
    batchSize: 1000,
    minFreeDisk: '2%',
  })
  .describe("Retention of history and files, the housekeeping slot, and the run stage's disk guard.");
export type RetentionConfig = z.infer<typeof retentionSchema>;

export const daemonConfigSchema = z
  .strictObject({
    host: z
      .strictObject({
        name: z.string().min(1).optional().describe('Name recorded in run history (default: the machine hostname).'),
        stages: z
          .array(z.enum(STAGES))
          .default([...STAGES])
          .describe('Stages this host runs: e.g. [run, upload] on the compute host, [ingest] on the database host.'),
        heartbeat: timer.default('30s').describe('How often this host writes its heartbeat in the state database (hosts table).'),
      })
      .default({ stages: [...STAGES], heartbeat: '30s' })
      .describe('This host: its name in the run history, the stages it runs, and its heartbeat.'),
    database: z
      .strictObject({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
          .describe('Connection URL without password; put the password in `password`.'),
        password: secretRef.optional(),
        poolSize: z.number().int().min(2).max(100).default(10).describe('Most connections the daemon opens to the database.'),
        schema: name.default('nocturne').describe("Schema holding nocturne's own state (runs, jobs, transfers, ledger)."),
      })
      .describe('The PostgreSQL database holding the state (and, usually, the catalogue); the same one for every host.'),
    targets: z.record(name, targetSchema).default({}).describe('Named transfer targets, referenced by pipelines.'),
    executor: z
      .strictObject({
        type: z
          .enum(['slurm', 'local'])
          .default('local')
          .describe('slurm: submit the detection jobs with sbatch; local: run them as processes of this host.'),
        slurm: z
          .strictObject({
            partition: slurmName.optional().describe("Partition to submit to (sbatch --partition); default: the cluster's."),
            account: slurmName.optional().describe("Account charged (sbatch --account); default: the user's."),
            pollInterval: timer.default('10s').describe('How often all active jobs are polled (one sacct call).'),
            lostAfter: period.default('5m').describe('A job known to neither sacct nor squeue this long is LOST.'),
            maxSubmitted: z
              .number()
              .int()
              .min(1)
              .optional()
              .describe(
                'Most tasks of all pipelines and campaigns submitted to SLURM and not ended at once, shared fairly among those waiting. @default no cap',
              ),
          })
          .default({ pollInterval: '10s', lostAfter: '5m' })
          .describe('Settings of the slurm executor.'),
        local: z
          .strictObject({
            concurrency: z.number().int().min(1).max(256).default(2).describe('Detection jobs run at once on this host.'),
          })
          .default({ concurrency: 2 })
          .describe('Settings of the local executor.'),
      })
      .default({ type: 'local', slurm: { pollInterval: '10s', lostAfter: '5m' }, local: { concurrency: 2 } })
      .describe('How the detection codes of the run stage are started; a pipeline may override the type.'),
    paths: z
      .strictObject({
        state: z.string().default('/var/lib/nocturne').describe('Base directory; the others default below it.'),
        outbox: z.string().optional().describe('Where run outputs wait for upload (default: <state>/outbox).'),
        quarantine: z.string().optional().describe('Where bad inputs are set aside (default: <state>/quarantine).'),
        logs: z.string().optional().describe('Per-run job logs (default: <state>/logs).'),
        work: z.string().optional().describe('Scratch space for jobs and downloads (default: <state>/work).'),
      })
      .default({ state: '/var/lib/nocturne' })
      .describe('Local directories; relative paths are relative to the configuration directory.'),
    http: z
      .strictObject({
        listen: z
          .string()
          .regex(/^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464')
          .refine((listen) => Number(listen.slice(listen.lastIndexOf(':') + 1)) <= 65_535, 'has a port above 65535')
          .refine(
            (listen) => !listen.startsWith('[') || isIPv6(listen.slice(1, listen.lastIndexOf(']'))),
            'has no IPv6 address in its brackets',
          )
          .default('127.0.0.1:9464')
          .describe('Address of the monitor pages and the API; an address other than loopback needs http.auth.'),
        enabled: z.boolean().default(true).describe('Without it, nocturne reload cannot be used: send SIGHUP instead.'),
        publicNames: z
          .array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be a host name, with :port when not the default one'))
          .default([])
          .describe(
            'Host names the monitor is reached by besides loopback (e.g. behind a proxy); other Host headers are refused (DNS rebinding).',
          ),
        auth: httpAuth.optional().describe('Who may read the monitor and use the API; required when listen is not loopback.'),
        monitor: z
          .strictObject({
            nights: z.number().int().min(1).max(366).default(30).describe('Nights shown by the nights grid (/nights).'),
          })
          .default({ nights: 30 })
          .describe('What the web monitor shows.'),
      })
      .default({ listen: '127.0.0.1:9464', enabled: true, publicNames: [], monitor: { nights: 30 } })
      .superRefine((http, ctx) => {
        if (http.enabled && !http.auth && !isLoopbackListen(http.listen)) {
          ctx.addIssue({
            code: 'custom',
            path: ['listen'],
            message: `${http.listen} is not a loopback address: configure http.auth (a user and a scrypt password hash, or a trusted proxy) or listen on 127.0.0.1`,
          });
        }
      })
      .describe("The daemon's HTTP interface: the monitor pages, /api/, /healthz, /readyz, /metrics."),
    log: z
      .strictObject({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
          .default('info')
          .describe('Least severe level logged; debug shows every slot decision.'),
      })
      .default({ level: 'info' })
      .describe('Logging (JSON lines on stdout, for journald).'),
    shutdown: z
      .strictObject({ grace: wait.default('60s').describe('How long SIGTERM waits for a safe point.') })
      .default({ grace: '60s' })
      .describe('How the daemon stops.'),
    campaigns: z
      .strictObject({
        maxRunning: z
          .number()
          .int()
          .min(1)
          .max(10000)
          .default(4)
          .describe(
            'Most tasks of one campaign submitted and not ended at once (array %N and submission cap); `backfill --max-running` overrides it.',
          ),
        nice: z
          .number()
          .int()
          .min(0)
          .max(2147483645)
          .default(1000)
          .describe("sbatch --nice of campaign jobs: SLURM starts the nightly runs' jobs first."),
        qos: slurmName.optional().describe('sbatch --qos of campaign jobs, when the cluster has a QOS for them (then nice may be 0).'),
        batchNights: z.number().int().min(1).max(366).default(30).describe('Nights submitted together as one batch of job arrays.'),
        yieldToNightly: z
          .boolean()
          .default(true)
          .describe('Campaigns submit nothing while tasks of a nightly run are in SLURM (they take the CPUs the nights leave).'),
        yieldBefore: duration
          .default('10m')
          .describe(
            "With yieldToNightly, campaigns also submit nothing this long before a pipeline's run slot, so that the CPUs their tasks hold are free when it starts: about one campaign task's length.",
          ),
      })
      .default({ maxRunning: 4, nice: 1000, batchNights: 30, yieldToNightly: true, yieldBefore: '10m' })
      .describe('Reprocessing campaigns (nocturne backfill): their throttle and priority.'),
    alerts: alertsSchema.optional(),
    retention: retentionSchema,
  })
  .describe('nocturne daemon settings (config/nocturne.yaml).');
export type DaemonConfig = z.infer<typeof daemonConfigSchema>;

// ---------------------------------------------------------------- pipelines/*.yaml

/** What every stage shares: when it runs and how it copes with misses, overruns and failures. */
const stageCommon = {
  schedule: z
    .string()
    .min(1)
    .describe('Cron expression evaluated in `timezone`: minute hour day-of-month month day-of-week (docs/operating.md, "Schedules").'),
  timezone: z.string().default('UTC').describe('IANA time zone of the schedule, e.g. Europe/Paris.'),
  catchUp: z
    .enum(['none', 'latest', 'all'])
    .default('latest')
    .describe('Slots missed while the daemon was down: run none, only the latest, or all (up to maxCatchUp).'),
  maxCatchUp: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(24)
    .describe('Most missed slots run with catchUp: all, and most slots waiting behind an overrun.'),
  overrun: z
    .enum(['wait', 'skip'])
    .default('wait')
    .describe('When a slot comes while the previous run is still going: wait for it, or skip the slot.'),
  retries: z.number().int().min(0).max(100).default(3).describe('Attempts after the first, for retryable failures.'),
  timeout: timer.default('6h').describe('A run that takes longer is stopped and recorded as failed (TIMEOUT).'),
};

const globPattern = z.string().min(1);

/** Placeholders of run.inputs.glob and of upload.remoteDir (checked by the loader, filled by the stages). */
export const INPUT_GLOB_PLACEHOLDERS = ['yyyy', 'mm', 'dd'] as const;
export const REMOTE_DIR_PLACEHOLDERS = ['pipeline', 'code', 'version', 'yyyy', 'mm', 'dd'] as const;

export const runStageSchema = z.strictObject({
  ...stageCommon,
  executor: z.enum(['slurm', 'local']).optional().describe('Overrides executor.type of config/nocturne.yaml.'),
  command: z
    .array(z.string())
    .min(1)
    .describe('The detection code: an absolute script path, then its arguments. Placeholders: {input}, {obs}, {date}, {outdir}.'),
  slurm: z
    .strictObject({
      partition: slurmName.optional().describe('Overrides executor.slurm.partition of config/nocturne.yaml.'),
      account: slurmName.optional().describe('Overrides executor.slurm.account of config/nocturne.yaml.'),
      time: z
        .string()
        .regex(/^(\d+-)?\d{1,2}(:\d{2}){0,2}$|^\d+$/, 'must be a SLURM time such as "30", "01:00:00" or "1-00:00:00"')
        .default('01:00:00')
        .describe('Time limit of one detection job (sbatch --time).'),
      mem: z
        .string()
        .regex(/^\d+[KMGT]?$/, 'must be a SLURM memory size such as "512M" or "4G"')
        .default('1G')
        .describe('Memory of one detection job (sbatch --mem).'),
      cpus: z.number().int().min(1).max(1024).default(1).describe('CPUs of one detection job (sbatch --cpus-per-task).'),
    })
    .default({ time: '01:00:00', mem: '1G', cpus: 1 })
    .describe('Resources of each detection job when the executor is slurm.'),
  inputs: z
    .strictObject({
      glob: globPattern.describe(
        'Observations to process: a glob with optional date placeholders {yyyy} {mm} {dd}, e.g. /data/hmi/{yyyy}/{mm}/{dd}/*.fits',
      ),
      lookbackDays: z
        .number()
        .int()
        .min(0)
        .max(366)
        .default(0)
        .describe('Also scan this many days before the run date for observations not yet done.'),
    })
    .describe('Input discovery; observations already processed are skipped.'),
  array: z
    .strictObject({
      throttle: z.number().int().min(1).max(10000).default(8).describe('Most tasks of the array running at once.'),
    })
    .optional()
    .describe('Submit one job array per night (one task per observation) with at most `throttle` tasks at once.'),
  maxRunning: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'Most tasks of this pipeline submitted and not ended at once (slurm): its cap under executor.slurm.maxSubmitted. @default no cap',
    ),
  outputs: z
    .strictObject({
      dir: z.string().optional().describe('Outbox for this pipeline (default: <paths.outbox>/<pipeline>).'),
      csv: globPattern.default('*.csv').describe('Which files the code writes are CSV outputs.'),
      quicklooks: globPattern.default('*.jpg').describe('Which files the code writes are JPEG quicklooks.'),
      rowsRequired: z
        .array(globPattern)
        .default(['*_init.csv'])
        .describe(
          'CSV outputs (file-name globs) that must hold a row under their header, or the task fails. Any empty (0-byte) output always fails it.',
        ),
    })
    .default({ csv: '*.csv', quicklooks: '*.jpg', rowsRequired: ['*_init.csv'] })
    .describe('Where and which outputs of each job are kept for upload.'),
  retryTimeout: z.boolean().default(false).describe('Whether a job ended by TIMEOUT is retried.'),
  waitWarning: duration
    .default('30m')
    .describe('A task waiting this long for a person (held, node drained or down) is logged as a warning.'),
});
export type RunStageConfig = z.infer<typeof runStageSchema>;

/** 8192 × 8192: four times a 4096 × 4096 full-disk image. */
const DEFAULT_QUICKLOOK_MAX_PIXELS = 8192 * 8192;

export const uploadStageSchema = z.strictObject({
  ...stageCommon,
  target: name.describe('Name of a target in config/nocturne.yaml.'),
  from: z.string().optional().describe("Local directory to upload from (default: the run stage's outbox)."),
  include: z.array(globPattern).min(1).default(['*.csv', '*.jpg']).describe('Files of the outbox to upload.'),
  remoteDir: z
    .string()
    .min(1)
    .describe('Remote directory template: {pipeline} {code} {version} {yyyy} {mm} {dd}, e.g. /hfc/{code}/{yyyy}/{mm}'),
  verify: z
    .enum(['size', 'sha256-readback', 'server-hash'])
    .default('size')
    .describe('size: always; sha256-readback: download and hash; server-hash: FTP HASH/XSHA256 when FEAT offers it.'),
  deleteAfterVerify: z.boolean().default(true).describe('Delete the local file once its remote copy is verified.'),
  quicklooks: z
    .strictObject({
      check: z
        .boolean()
        .default(true)
        .describe('Check every JPEG before upload (header, data length, all its data decoded at 1/8 scale); bad ones are quarantined.'),
      width: z.number().int().min(1).optional().describe('Expected width in pixels.'),
      height: z.number().int().min(1).optional().describe('Expected height in pixels.'),
      thumbnailWidth: z.number().int().min(16).max(4096).optional().describe('Also upload a thumbnail this wide.'),
      maxPixels: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_QUICKLOOK_MAX_PIXELS)
        .describe(
          'Largest width × height of a quicklook, read from its header before it is decoded (check or thumbnail); a larger one is quarantined. Bounds the memory of the stage. Default 8192 × 8192.',
        ),
    })
    .default({ check: true, maxPixels: DEFAULT_QUICKLOOK_MAX_PIXELS })
    .describe('Checks of the JPEG quicklooks before upload.'),
});
export type UploadStageConfig = z.infer<typeof uploadStageSchema>;

export const columnTypes = ['int', 'bigint', 'float', 'text', 'bool', 'timestamp'] as const;
export type ColumnType = (typeof columnTypes)[number];

const columnSchema = z.strictObject({
  from: z.string().min(1).describe('CSV header of the source column.'),
  type: z.enum(columnTypes).describe('How the CSV text is read: int, bigint, float, text, bool or timestamp.'),
  format: z.string().optional().describe('For timestamps: strptime-style format, e.g. "%Y-%m-%dT%H:%M:%S" (%f fraction, %z zone allowed).'),
  nullable: z.boolean().default(false).describe('Whether an empty or null value is allowed (else the row is bad).'),
});
export type ColumnConfig = z.infer<typeof columnSchema>;

const sqlColumn = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL column name');
/** A CSV header as written (compared after stripping "#", trimming, upper-casing, spaces → "_"). */
const csvHeader = z.string().min(1);

/** What a local id column holds the placeholder of. */
export const SET_PARTS = ['frcInfo', 'observatory', 'observations', 'features'] as const;
export type SetPart = (typeof SET_PARTS)[number];
export const SET_ROLES = ['init', 'feat', 'track'] as const;
export type SetRole = (typeof SET_ROLES)[number];

// Plain strings here, checked by config/sets-check.ts: a misspelt part then gets "did you mean".
const reference = z
  .union([
    z.string().describe('frcInfo, observatory, observations or features.'),
    z.strictObject({
      of: z.string().describe('frcInfo, observatory, observations or features.'),
      column: sqlColumn.describe('Table column receiving the database id (default: the header in lower case).'),
    }),
  ])
  .describe("What the column's value is a local id of: frcInfo, observatory, observations or features.");

const references = z.record(csvHeader, reference).default({}).describe('CSV header → what its value is a local id of.');

const setTable = (table: string) => sqlColumn.default(table).describe('Table of the catalogue.');

/** How a code's writer writes its CSV files: set for the whole pipeline, or for one member. */
export const writerSchema = z
  .strictObject({
    nullValues: z
      .array(z.string())
      .optional()
      .describe('Field values read as SQL NULL, compared after trim (replaces csv.nullValues), e.g. ["NULL", ""].'),
    trim: z
      .boolean()
      .optional()
      .describe(
        'Read unquoted fields without the blanks around them (the IDL writer under GDL ends each data row with a blank). Quoted fields are kept as written.',
      ),
    trailingEmptyFields: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe(
        'A record may have up to this many fields beyond the header when they are empty (RABAT3 metadata ends its rows with ";;").',
      ),
    finalLineEnd: z
      .boolean()
      .optional()
      .describe(
        "The last record of a file ends with a line end, as the writer ends every record: a file without one was cut short and is refused. Default true, false for frcInfo and observatory (the repositories' own files lack it).",
      ),
    encoding: z
      .enum(['utf8', 'latin1', 'ascii'])
      .optional()
      .describe('Encoding of the files (replaces csv.encoding), checked: a byte that is not text in it is refused at file:line:column.'),
    overflow: csvHeader
      .optional()
      .describe(
        'The header of the one column whose unquoted value may hold the delimiter (the older IDL writer never quotes a URL): a record with more fields than the header gives the extra ones back to it.',
      ),
  })
  .describe("How the code's writer writes its files (null markers, blanks, trailing fields, encoding).");
export type WriterDialect = z.infer<typeof writerSchema>;

/** What each member (and metadata file) may add to the pipeline's writer dialect and header matching. */
const memberReading = {
  writer: writerSchema.optional().describe("This member's writer dialect, over ingest.sets.writer."),
  ignore: z.array(csvHeader).default([]).describe('Headers of this member that are read and dropped (the table has no column for them).'),
  extra: z
    .array(csvHeader)
    .default([])
    .describe('Headers of this member kept in the table\'s jsonb column extra, as {"HEADER": "value"} (the table has no column for them).'),
};

const fileNames = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe("File name, or names tried in order; placeholders {code}, {version} and {obs} (the set's own, for per-set metadata).");

const metadataFile = (table: string) =>
  z.strictObject({
    file: fileNames,
    table: setTable(table),
    naturalKey: z
      .array(sqlColumn)
      .min(1)
      .describe('Table columns that identify a row: a unique index must exist on exactly them (text columns may be normalised with nk()).'),
    ...memberReading,
  });

export const setsSchema = z
  .strictObject({
    catalogue: sqlColumn.default('hfc').describe('PostgreSQL schema of the HFC catalogue.'),
    files: z
      .string()
      .min(1)
      .describe(
        'File name pattern of set members: {code} {version} (without dots) {date} (YYYYMMDDTHHMMSS) {obs} {role}, e.g. "{code}_{version}_{date}_{obs}_{role}.csv".',
      ),
    roles: z
      .record(z.string().regex(/^[A-Za-z0-9]+$/, 'must be a word of letters and digits'), z.enum(SET_ROLES))
      .default({ init: 'init', feat: 'feat', track: 'track' })
      .describe('Word of the file name ({role}) → role of the file: init, feat or track.'),
    writer: writerSchema.default({}),
    frcInfo: metadataFile('frc_info').describe('The FRC_INFO metadata file of the code.'),
    observatory: metadataFile('observatory').describe('The OBSERVATORY metadata file of the code.'),
    observations: z
      .strictObject({
        table: setTable('observations'),
        localId: csvHeader.describe('CSV header of the placeholder id of each observation.'),
        references,
        ...memberReading,
      })
      .describe('The init file: OBSERVATIONS rows.'),
    features: z
      .strictObject({
        table: sqlColumn.describe('Feature table of the catalogue, e.g. sunspots.'),
        localId: csvHeader.describe('CSV header of the placeholder id of each feature.'),
        references,
        ...memberReading,
      })
      .describe('The feat file: feature rows.'),
    tracking: z
      .strictObject({
        table: sqlColumn.describe('Tracking table of the catalogue.'),
        references,
        files: z
          .string()
          .min(1)
          .optional()
          .describe(
            'File name pattern of track files when the tracker names them otherwise than the sets (default: files), e.g. "{code}_{version}_{date}_{obs}_{role}.csv".',
          ),
        code: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a code name of letters, digits, "-" or "_"')
          .optional()
          .describe('The code name the tracker puts in its file names ({code} of tracking.files; default: code.name), e.g. spoca.'),
        featureId: z
          .enum(['rowOrdinal', 'localId'])
          .default('rowOrdinal')
          .describe(
            "What a features reference holds: the feature's row ordinal in its feat file, or the local id the feat file wrote for it (SPoCA: ID_AR).",
          ),
        ...memberReading,
      })
      .optional()
      .describe('The track file: each row names its feature set by FEAT_FILENAME and its feature by featureId.'),
    aliases: z.record(csvHeader, csvHeader).default({}).describe('CSV header as written → the header it stands for.'),
    columns: z
      .record(
        sqlColumn,
        z.strictObject({
          nullValues: z.array(z.string()).optional().describe('Replaces the null values of the writer for this column.'),
          scale: z
            .union([z.literal(10), z.literal(100), z.literal(1000), z.literal(1000000)])
            .optional()
            .describe('Multiply the number as written by this power of ten, exactly (SDOSS FILE_SIZE: kB → bytes, 1000).'),
          integer: z
            .enum(['round', 'truncate'])
            .optional()
            .describe(
              'Into an integer column, a number with a fraction is rounded (halves away from zero) or truncated toward zero instead of refused.',
            ),
        }),
      )
      .default({})
      .describe('Per-column reading rules, key = table column.'),
    initWait: duration
      .default('6h')
      .describe('A set, track file or metadata file still missing a member after this long is rejected as incomplete.'),
    reemitted: z
      .enum(['replace', 'keep'])
      .default('replace')
      .describe('A set emitted again with other content: replace the previous load atomically, or keep it and refuse the new one.'),
  })
  .describe('Sets mode: linked init/feat/track files loaded together into the HFC catalogue (exactly one of table and sets).');
export type SetsConfig = z.infer<typeof setsSchema>;

export const ingestStageSchema = z.strictObject({
  ...stageCommon,
  source: z
    .union([
      z.strictObject({
        target: name.describe('Read from this target...'),
        dir: z.string().min(1).describe('...in this remote directory (recursively).'),
      }),
      z.strictObject({ dir: z.string().min(1).describe('A local directory (recursively).') }),
    ])
    .describe("Where the CSVs are listed: a target's remote directory, or a local one."),
  include: z.array(globPattern).min(1).default(['*.csv']).describe('Files of the source to load.'),
  csv: z
    .strictObject({
      delimiter: z.string().length(1).default(',').describe('Field separator.'),
      quote: z.string().length(1).default('"').describe('Quote character.'),
      encoding: z.enum(['utf8', 'latin1']).default('utf8').describe('Character encoding of the CSV files.'),
      nullValues: z.array(z.string()).default(['']).describe('Field values read as SQL NULL, e.g. ["", "NULL"].'),
    })
    .default({ delimiter: ',', quote: '"', encoding: 'utf8', nullValues: [''] })
    .describe('How the CSV files are written.'),
  table: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/, 'must be schema.table in lower case')
    .optional()
    .describe('Single-CSV mode: target table, schema-qualified (exactly one of table and sets).'),
  columns: z
    .record(sqlColumn, columnSchema)
    .refine((c) => Object.keys(c).length > 0, 'must map at least one column')
    .optional()
    .describe('Single-CSV mode: table column → CSV source, type and nullability.'),
  naturalKey: z
    .array(z.string())
    .min(1)
    .optional()
    .describe('Single-CSV mode: table columns that identify a row (a unique constraint must exist).'),
  onConflict: z
    .enum(['ignore', 'update'])
    .default('ignore')
    .describe('Single-CSV mode: a row whose natural key is already loaded is ignored, or updates the loaded row.'),
  badRows: z
    .strictObject({
      policy: z
        .enum(['reject', 'quarantine'])
        .default('reject')
        .describe('reject: a bad row rejects the whole file; quarantine: bad rows are set aside, the rest loads.'),
      maxQuarantined: z.number().int().min(0).default(100).describe('With quarantine: more bad rows than this rejects the file.'),
    })
    .default({ policy: 'reject', maxQuarantined: 100 })
    .describe('Single-CSV mode: what a row that cannot be loaded does to its file.'),
  sets: setsSchema.optional(),
});
/** The ingest section as parsed: single-CSV mode (table) or sets mode (sets), which cross-checks keep exclusive. */
export type IngestSection = z.infer<typeof ingestStageSchema>;

export const pipelineSchema = z
  .strictObject({
    name: name.describe('Pipeline name; must match the file name (sdoss.yaml → sdoss).'),
    description: z.string().optional().describe('Free text for people reading the file.'),
    code: z
      .strictObject({
        name: name.describe('Detection code, e.g. sdoss.'),
        version: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be letters, digits, ".", "_" or "-" (quote it: "1.06")')
          .describe('Code version, recorded with every row.'),
      })
      .describe('The detection code this pipeline runs and whose rows it ingests.'),
    run: runStageSchema.optional().describe('Stage run: start the detection code on each new observation.'),
    upload: uploadStageSchema.optional().describe('Stage upload: copy the outputs to the archive, deleting each local file once verified.'),
    ingest: ingestStageSchema.optional().describe('Stage ingest: load the CSVs into PostgreSQL, each exactly once.'),
    alerts: pipelineAlertsSchema.optional(),
  })
  .describe('One nocturne pipeline (pipelines/<name>.yaml).');
export type PipelineConfig = z.infer<typeof pipelineSchema>;
