/**
 * Reads <dir>/config/nocturne.yaml and <dir>/pipelines/*.yaml and either compiles them
 * into a frozen NocturneConfig or returns every problem of every file at once, each
 * located at `file:line:col` (files shown relative to the current directory when below
 * it, else absolute). Nothing is connected to: `nocturne validate` needs no database.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { daemonProblems, pipelineProblems, targetNames } from './cross-checks.js';
import { problem, sortIssues, type Problem } from './issues.js';
import { locate, parseYaml, type YamlSource } from './locate.js';
import { decodeUtf8, fileError, MAX_CONFIG_BYTES, readRegularFile, type UnreadableFile } from './read-text.js';
import { overlapProblems } from './overlaps.js';
import { compilable, resolveConfig } from './resolve.js';
import { daemonConfigSchema, pipelineSchema, type DaemonConfig, type PipelineConfig } from './schema.js';
import { secretProblems } from './secret-check.js';
import { valueAt } from './schema-walk.js';
import type { ConfigIssue, NocturneConfig } from './types.js';
import { zodProblems } from './zod-issues.js';

/**
 * A valid configuration and its warnings, or every problem: the errors that make it
 * invalid and the warnings (marked `warning`) together.
 */
export type LoadResult = { ok: true; config: NocturneConfig; warnings?: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

interface PipelineFile {
  source: YamlSource;
  file: string;
  fileName: string;
  config?: PipelineConfig;
}

export async function loadConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  const root = path.resolve(dir);
  const issues: ConfigIssue[] = [];
  const report = (source: YamlSource, problems: readonly Problem[]) => issues.push(...problems.map((found) => locate(source, found)));

  const daemonFile = path.join(root, 'config', 'nocturne.yaml');
  const daemonSource = await readYaml(daemonFile, issues);
  let daemon: DaemonConfig | undefined;
  if (daemonSource?.data !== undefined) {
    const parsed = daemonConfigSchema.safeParse(daemonSource.data);
    if (parsed.success) daemon = parsed.data;
    else report(daemonSource, zodProblems(daemonConfigSchema, daemonSource.data, parsed.error.issues));
    report(daemonSource, daemonProblems(daemonSource.data));
  }
  const targets = daemonSource?.data === undefined ? undefined : targetNames(daemonSource.data);

  const pipelines: PipelineFile[] = [];
  for (const file of await pipelineFiles(path.join(root, 'pipelines'), issues)) {
    const source = await readYaml(file, issues);
    if (source?.data === undefined) continue;
    const fileName = path.basename(file, '.yaml');
    const parsed = pipelineSchema.safeParse(source.data);
    if (!parsed.success) report(source, zodProblems(pipelineSchema, source.data, parsed.error.issues));
    report(source, pipelineProblems(source.data, { fileName, targets }));
    pipelines.push({ source, file, fileName, ...(parsed.success ? { config: parsed.data } : {}) });
  }
  for (const [source, found] of duplicateNames(pipelines)) report(source, [found]);

  if (daemonSource?.data !== undefined) {
    const used = usedTargets(daemonSource.data, pipelines);
    report(daemonSource, await secretProblems(daemonSource.data, (name) => used.has(name), root, env));
  }

  if (daemon === undefined) return { ok: false, issues: sortIssues(issues) };
  // An ingest stage in neither mode has been reported above; the others are compiled.
  const valid = pipelines.filter((p): p is PipelineFile & { config: PipelineConfig } => p.config !== undefined && compilable(p.config));
  const config = resolveConfig(root, daemon, valid);
  for (const [name, problems] of overlapProblems(config, display)) {
    const pipeline = valid.find((p) => p.config.name === name);
    if (pipeline) report(pipeline.source, problems);
  }
  if (issues.some((issue) => !issue.warning)) return { ok: false, issues: sortIssues(issues) };
  return { ok: true, config, warnings: sortIssues(issues) };
}

/** How a file is named in messages. */
function display(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.split(path.sep)[0] === '..' || path.isAbsolute(relative) ? file : relative;
}

async function readYaml(file: string, issues: ConfigIssue[]): Promise<YamlSource | undefined> {
  const shown = display(file);
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (err) {
    issues.push({ file: shown, line: 1, col: 1, message: `cannot read: ${(err as UnreadableFile).message}` });
    return undefined;
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    issues.push({ file: shown, line: decoded.line, col: decoded.col, message: decoded.message });
    return undefined;
  }
  const source = parseYaml(shown, decoded.text);
  issues.push(...source.syntaxIssues);
  return source;
}

/** pipelines/*.yaml in name order; no directory means no pipelines. */
async function pipelineFiles(dir: string, issues: ConfigIssue[]): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    issues.push({ file: display(dir), line: 1, col: 1, message: `cannot read: ${fileError(err)}` });
    return [];
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    const at = { file: display(path.join(dir, name)), line: 1, col: 1 };
    // Any case: sdoss.YAML or sdoss.Yml left unread would be a pipeline that never runs.
    const yaml = /\.ya?ml$/i.test(name);
    // Hidden files are editors' and tools' (.#sdoss.yaml, ..x.yaml): not read, but said.
    if (name.startsWith('.')) {
      if (yaml) issues.push({ ...at, warning: true, message: 'not read: its name starts with "." (a hidden file)' });
    } else if (name.endsWith('.yaml')) {
      files.push(path.join(dir, name));
    } else if (yaml) {
      issues.push({ ...at, message: `pipeline files end in .yaml: rename to ${name.replace(/\.ya?ml$/i, '.yaml')}` });
    }
  }
  return files;
}

function duplicateNames(pipelines: readonly PipelineFile[]): [YamlSource, Problem][] {
  const first = new Map<string, PipelineFile>();
  const duplicates: [YamlSource, Problem][] = [];
  for (const pipeline of pipelines) {
    const name = valueAt(pipeline.source.data, ['name']);
    if (typeof name !== 'string') continue;
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, pipeline);
    else {
      duplicates.push([
        pipeline.source,
        problem(['name'], 'value', `pipeline name "${name}" is already used by ${earlier.source.display}`),
      ]);
    }
  }
  return duplicates;
}

/** Targets that a stage run by this host (host.stages) reads or writes. */
function usedTargets(daemon: unknown, pipelines: readonly PipelineFile[]): Set<string> {
  const stages = valueAt(daemon, ['host', 'stages']);
  // Without host.stages the host runs every stage.
  const runs = (stage: string) => !Array.isArray(stages) || stages.includes(stage);
  const used = new Set<string>();
  for (const { source } of pipelines) {
    const upload = valueAt(source.data, ['upload', 'target']);
    const ingest = valueAt(source.data, ['ingest', 'source', 'target']);
    if (runs('upload') && typeof upload === 'string') used.add(upload);
    if (runs('ingest') && typeof ingest === 'string') used.add(ingest);
  }
  return used;
}
