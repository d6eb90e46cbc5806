/**
 * Checks the schema cannot express: references between files, combinations of keys,
 * schedules, placeholders. They read the raw YAML data defensively, so that they run
 * even when the schema found other problems in the same file (one pass reports all);
 * a value of the wrong type is left to the schema's message.
 */
import path from 'node:path';
import { checkRemoteDir, withoutTrailingSlash } from '../adapters/transfer/remote-paths.js';
import { compileTimestampFormat } from '../core/timestamp-format.js';
import { suggestion } from './did-you-mean.js';
import { clipped, problem, type DocPath, type Problem } from './issues.js';
import { INPUT_GLOB_PLACEHOLDERS, PIPELINE_NAME, REMOTE_DIR_PLACEHOLDERS, STAGES } from './schema.js';
import { scheduleProblems } from './schedule-check.js';
import { ingestModeProblems } from './sets-check.js';
import { isMapping, valueAt } from './schema-walk.js';

/** Problems of config/nocturne.yaml that its schema cannot see. */
export function daemonProblems(daemon: unknown): Problem[] {
  const retention = valueAt(daemon, ['retention']);
  return [
    ...databaseProblems(valueAt(daemon, ['database', 'url'])),
    ...targetProblems(valueAt(daemon, ['targets'])),
    // The housekeeping slot is a schedule like a stage's: the same checks.
    ...(isMapping(retention) ? scheduleProblems(retention, ['retention']) : []),
  ];
}

/** The messages never quote the URL: it may hold the very password they are about. */
function databaseProblems(url: unknown): Problem[] {
  if (typeof url !== 'string') return [];
  const at = ['database', 'url'];
  // As pg-connection-string reads it: "user@/db?host=/run/postgresql" (a socket) with a stand-in host.
  const readable = URL.canParse(url) ? url : url.replace('@/', '@socket/');
  if (!URL.canParse(readable)) {
    return [problem(at, 'value', 'is not a valid URL: a port above 65535, or a character to write %-encoded ("#" as %23, "@" as %40)?')];
  }
  const { password, searchParams, hash } = new URL(readable);
  // The PostgreSQL client takes a password from the user part and from ?password= alike.
  if (password !== '' || searchParams.has('password')) {
    return [problem(at, 'value', 'holds a password: remove it, and reference it in database.password')];
  }
  if (hash !== '') return [problem(at, 'value', 'has a "#" part, which no PostgreSQL client reads: write "#" as %23')];
  return [];
}

function targetProblems(targets: unknown): Problem[] {
  if (!isMapping(targets)) return [];
  return Object.entries(targets).flatMap(([name, target]): Problem[] => {
    if (!isMapping(target)) return [];
    if (target['type'] === 'ftp' && target['insecure'] !== true) {
      return [problem(['targets', name, 'type'], 'value', 'plain FTP sends the password in clear: use type ftps, or set insecure: true')];
    }
    if (target['type'] === 'sftp' && target['privateKey'] === undefined && target['password'] === undefined) {
      return [problem(['targets', name, 'privateKey'], 'missing', 'an SFTP target needs privateKey (preferred) or password')];
    }
    return [];
  });
}

/** The names of config/nocturne.yaml's targets, or undefined when they cannot be known. */
export function targetNames(daemon: unknown): string[] | undefined {
  if (!isMapping(daemon)) return undefined;
  const targets = daemon['targets'];
  if (targets === undefined) return [];
  return isMapping(targets) ? Object.keys(targets) : undefined;
}

export interface PipelineContext {
  /** The file name without .yaml, which the pipeline's name must equal. */
  fileName: string;
  /** Targets of config/nocturne.yaml; undefined skips the reference checks. */
  targets: readonly string[] | undefined;
}

/** Problems of one pipelines/*.yaml that its own schema cannot see. */
export function pipelineProblems(pipeline: unknown, context: PipelineContext): Problem[] {
  if (!isMapping(pipeline)) return [];
  const problems: Problem[] = [];
  const name = pipeline['name'];
  // An invalid name has its own message; a file name that is no valid name can only be renamed.
  if (typeof name === 'string' && name !== context.fileName && PIPELINE_NAME.test(name)) {
    const rename = `rename the file to ${name}.yaml`;
    const fix = PIPELINE_NAME.test(context.fileName) ? `${rename}, or write name: ${context.fileName}` : rename;
    problems.push(problem(['name'], 'value', `pipeline name "${name}" differs from its file name "${context.fileName}.yaml": ${fix}`));
  }
  for (const stage of STAGES) {
    const config = pipeline[stage];
    if (isMapping(config)) problems.push(...scheduleProblems(config, [stage]));
  }
  const at = (path: DocPath) => ({ path, value: valueAt(pipeline, path) });
  problems.push(
    ...placeholderProblems(at(['run', 'inputs', 'glob']), INPUT_GLOB_PLACEHOLDERS),
    ...placeholderProblems(at(['upload', 'remoteDir']), REMOTE_DIR_PLACEHOLDERS),
    ...remotePathProblems(at(['upload', 'remoteDir']), 'upload'),
  );
  const source = valueAt(pipeline, ['ingest', 'source']);
  if (isMapping(source) && source['target'] !== undefined) problems.push(...remotePathProblems(at(['ingest', 'source', 'dir']), 'ingest'));
  if (context.targets !== undefined) {
    problems.push(
      ...targetReference(at(['upload', 'target']), context.targets),
      ...targetReference(at(['ingest', 'source', 'target']), context.targets),
    );
  }
  const ingest = pipeline['ingest'];
  if (isMapping(ingest)) problems.push(...ingestModeProblems(ingest), ...columnProblems(ingest));
  return problems;
}

interface Found {
  path: DocPath;
  value: unknown;
}

function targetReference({ path, value }: Found, targets: readonly string[]): Problem[] {
  if (typeof value !== 'string' || targets.includes(value)) return [];
  const hint = suggestion(value, targets, 'targets of config/nocturne.yaml', 'config/nocturne.yaml defines no targets');
  return [problem(path, 'value', `unknown target "${clipped(value)}"${hint}`)];
}

function placeholderProblems({ path, value }: Found, allowed: readonly string[]): Problem[] {
  if (typeof value !== 'string') return [];
  // {a,b} is a glob alternative, not a placeholder.
  const unknown = [...value.matchAll(/\{([A-Za-z_]\w*)\}/g)].map((m) => m[1] ?? '').filter((n) => !allowed.includes(n));
  return unknown.map((name) =>
    problem(path, 'value', `unknown placeholder {${name}} (allowed: ${allowed.map((a) => `{${a}}`).join(' ')})`),
  );
}

/**
 * A remote directory the stage would refuse at each file, checked as the stage checks it:
 * an upload's remoteDir with its placeholders filled, an ingest source's dir normalised.
 */
function remotePathProblems({ path: at, value }: Found, stage: 'upload' | 'ingest'): Problem[] {
  if (typeof value !== 'string') return [];
  const dir =
    stage === 'ingest'
      ? path.posix.normalize(value)
      : value.replace(/\{([A-Za-z_]\w*)\}/g, (whole, name: string) =>
          (REMOTE_DIR_PLACEHOLDERS as readonly string[]).includes(name) ? 'x' : whole,
        );
  try {
    checkRemoteDir(dir);
    return [];
  } catch (err) {
    // Named as written, not as filled in or normalised here.
    const message = (err instanceof Error ? err.message : String(err)).replace(
      JSON.stringify(withoutTrailingSlash(dir)),
      JSON.stringify(value),
    );
    return [problem(at, 'value', message)];
  }
}

function columnProblems(ingest: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const columns = isMapping(ingest['columns']) ? ingest['columns'] : {};
  const names = Object.keys(columns);
  for (const [column, spec] of Object.entries(columns)) {
    if (!isMapping(spec) || spec['type'] !== 'timestamp') continue;
    const format = spec['format'];
    if (format === undefined) {
      problems.push(
        problem(['ingest', 'columns', column, 'format'], 'missing', 'a timestamp column needs a format, e.g. "%Y-%m-%dT%H:%M:%S"'),
      );
    } else if (typeof format === 'string') {
      try {
        compileTimestampFormat(format);
      } catch (err) {
        problems.push(problem(['ingest', 'columns', column, 'format'], 'value', err instanceof Error ? err.message : String(err)));
      }
    }
  }
  const naturalKey = ingest['naturalKey'];
  if (Array.isArray(naturalKey) && ingest['columns'] !== undefined) {
    naturalKey.forEach((key: unknown, index) => {
      if (typeof key === 'string' && !names.includes(key)) {
        const hint = suggestion(key, names, 'columns', 'no columns are mapped');
        problems.push(problem(['ingest', 'naturalKey', index], 'value', `column "${key}" is not in columns${hint}`));
      }
    });
  }
  return problems;
}
