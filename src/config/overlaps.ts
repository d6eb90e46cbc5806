/**
 * Pipelines that would fight over the same files: a copied pipeline file passes every
 * check of its own, then moves or loads the original's files. Refused: overlaps that lose
 * or double data (the same code on the same observations, outboxes one inside the other,
 * uploads into one remote directory, ingest sources one inside the other, an upload that
 * deletes from a directory holding observations). Warned: the
 * others (two codes on the same observations, an upload landing in another pipeline's
 * ingest source). The problems are reported on the later pipeline in name order, naming
 * the earlier one, so that the copy is the one pointed at; an upload that would delete
 * observations, on the pipeline that uploads.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { withoutTrailingSlash } from '../adapters/transfer/remote-paths.js';
import { problem, warning, type DocPath, type Problem } from './issues.js';
import type { LoadedPipeline, NocturneConfig, ResolvedPipelineConfig } from './types.js';

/** A directory on some machine: `local` is this one's filesystem, otherwise user@host:port. */
interface Place {
  where: string;
  dir: string;
  /** Where it is written in the pipeline file. */
  at: DocPath;
}

interface Facts {
  name: string;
  file: string;
  config: ResolvedPipelineConfig;
  /** Local directories the run stage writes and the upload stage empties. */
  outboxes: Place[];
  /** The upload's remote directory, up to its first date placeholder. */
  uploadsTo?: Place & { template: string };
  ingestsFrom?: Place;
  /** The directory the upload deletes files from once archived (deleteAfterVerify), and which files there. */
  deletesFrom?: Place & { include: readonly string[] };
  /** The run's observations: the directory of inputs.glob up to its first placeholder or wildcard, and their file name pattern. */
  observations?: Place & { names: string };
}

/** Problems of each pipeline (by name) caused by another one; `shown` names a file in messages. */
export function overlapProblems(config: NocturneConfig, shown: (file: string) => string): Map<string, Problem[]> {
  const found = new Map<string, Problem[]>();
  const facts = [...config.pipelines.values()].map((p) => factsOf(config, p, shown(p.file))).sort((a, b) => (a.name < b.name ? -1 : 1));
  facts.forEach((later, i) => {
    const problems = [
      ...facts.slice(0, i).flatMap((earlier) => pairProblems(earlier, later)),
      ...deletedObservations(later, facts),
      ...relativeArchive(later, facts),
      ...outputsNotUploaded(later.config),
    ];
    if (problems.length > 0) found.set(later.name, problems);
  });
  return found;
}

/**
 * An upload that would delete observations, its own pipeline's or another's, once it
 * archived them: refused when the observations' directory lies in the upload's, warned
 * when the upload's lies among the observations (the glob may never match there).
 */
function deletedObservations(mine: Facts, all: readonly Facts[]): Problem[] {
  const from = mine.deletesFrom;
  if (!from) return [];
  return all.flatMap((other) => {
    const inputs = other.observations;
    if (!inputs || !nested(inputs, from) || !mayMatch(inputs.names, from.include)) return [];
    const whose = other === mine ? 'run.inputs.glob' : `the run.inputs.glob of pipeline ${other.name} (${other.file})`;
    const anchor = from.at.length === 1 ? 'key' : 'value';
    const fix = '(upload.from, or deleteAfterVerify: false)';
    return inside(inputs, from)
      ? [
          problem(
            from.at,
            anchor,
            `the upload takes its files from ${from.dir}, which holds the observations of ${whose}: it would delete them once archived ${fix}`,
          ),
        ]
      : [
          warning(
            from.at,
            anchor,
            `the upload takes its files from ${from.dir}, among the observations of ${whose} (${inputs.dir}): it would delete those it matches once archived ${fix}`,
          ),
        ];
  });
}

/**
 * Run outputs the pipeline's own upload never takes (its include matches none of the
 * names run.outputs.csv or .quicklooks gives): they would wait in the outbox forever,
 * and no status counts them. Warned, as the include may be meant to leave them.
 */
function outputsNotUploaded({ run, upload }: ResolvedPipelineConfig): Problem[] {
  if (!run || !upload || (upload.from !== undefined && upload.from !== run.outputs.dir)) return [];
  // Where include is left to its default, the message is put at the upload's first key.
  return (['csv', 'quicklooks'] as const)
    .filter((kind) => !mayMatch(run.outputs[kind], upload.include))
    .map((kind) =>
      warning(
        ['upload', 'include'],
        'value',
        `takes none of the run's ${kind} outputs (run.outputs.${kind}: "${run.outputs[kind]}"): they would stay in the outbox, never archived; add the pattern to upload.include`,
      ),
    );
}

/**
 * An upload to a relative remote directory on a target some pipeline ingests from: the
 * ingest names the files it lists by their full paths, the transfer ledger by the path
 * written, so the catalogue (lineage(), archived_files) never joins this pipeline's
 * archived files to their loads. Warned: the upload itself works.
 */
function relativeArchive(mine: Facts, all: readonly Facts[]): Problem[] {
  const upload = mine.config.upload;
  if (!upload || upload.remoteDir.startsWith('/')) return [];
  const reader = all.find(
    ({ config: { ingest } }) => ingest !== undefined && 'target' in ingest.source && ingest.source.target === upload.target,
  );
  if (!reader) return [];
  return [
    warning(
      ['upload', 'remoteDir'],
      'value',
      `is relative to the login directory, and pipeline ${reader.name} ingests from target "${upload.target}", naming its files by their full paths: the catalogue's lineage() will not find their archived copies; write it from "/"`,
    ),
  ];
}

/**
 * Whether the upload's include patterns may take a file the run's glob names: tried on
 * names made from the glob's last segment (each {a,b} alternative, placeholders and
 * wildcards filled in). Unsure is yes.
 */
function mayMatch(globName: string, include: readonly string[]): boolean {
  const matches = picomatch([...include], { basename: true, dot: false });
  const filled = globName.replace(/\{(yyyy|mm|dd)\}/g, (_, p: string) => (p === 'yyyy' ? '2026' : '01'));
  const alternatives = /^([^{}]*)\{([^{}]*)\}([^{}]*)$/.exec(filled);
  const names = alternatives ? alternatives[2]!.split(',').map((a) => `${alternatives[1]}${a}${alternatives[3]}`) : [filled];
  return names.some((name) => /[{}[\]]/.test(name) || matches(name.replace(/[*?]/g, 'x')));
}

/** Whether `a` is `b` or lies inside it. */
function inside(a: Place, b: Place): boolean {
  return a.where === b.where && (a.dir === b.dir || a.dir.startsWith(b.dir === '/' ? b.dir : `${b.dir}/`));
}

function factsOf(config: NocturneConfig, { config: pipeline }: LoadedPipeline, file: string): Facts {
  const { run, upload, ingest, name } = pipeline;
  // The defaults the run and upload stages apply (stages/run/settings.ts, stages/upload/upload-settings.ts).
  const defaultOutbox = path.join(config.paths.outbox, name);
  const outboxes: Place[] = [];
  if (run) {
    outboxes.push({ where: 'local', dir: run.outputs.dir ?? defaultOutbox, at: run.outputs.dir ? ['run', 'outputs', 'dir'] : ['run'] });
  }
  const facts: Facts = { name, file, config: pipeline, outboxes };
  if (upload) {
    const emptied: Place = {
      where: 'local',
      dir: upload.from ?? run?.outputs.dir ?? defaultOutbox,
      at: upload.from ? ['upload', 'from'] : ['upload'],
    };
    if (!outboxes.some((o) => o.dir === emptied.dir)) outboxes.push(emptied);
    if (upload.deleteAfterVerify) facts.deletesFrom = { ...emptied, dir: withoutTrailingSlash(emptied.dir), include: upload.include };
  }
  if (run) {
    const glob = run.inputs.glob;
    const wild = glob.search(/[{*?[]/);
    const base = wild < 0 ? path.dirname(glob) : glob.slice(0, glob.lastIndexOf('/', wild) + 1);
    facts.observations = {
      where: 'local',
      dir: withoutTrailingSlash(base === '' ? '.' : base),
      at: ['run', 'inputs', 'glob'],
      names: path.basename(glob),
    };
  }
  if (upload) {
    const template = upload.remoteDir
      .replaceAll('{pipeline}', name)
      .replaceAll('{code}', pipeline.code.name)
      .replaceAll('{version}', pipeline.code.version);
    // The directory every upload lands below: up to the first date placeholder.
    const brace = template.indexOf('{');
    const prefix = brace < 0 ? template : template.slice(0, template.lastIndexOf('/', brace) + 1);
    const place = remotePlace(config, upload.target, prefix, ['upload', 'remoteDir']);
    if (place) facts.uploadsTo = { ...place, template: path.posix.normalize(template) };
  }
  if (ingest) {
    const at = ['ingest', 'source'];
    facts.ingestsFrom =
      'target' in ingest.source
        ? remotePlace(config, ingest.source.target, ingest.source.dir, at)
        : { where: 'local', dir: withoutTrailingSlash(ingest.source.dir), at };
  }
  return facts;
}

/** A target's directory: a local target's is on this machine, under its path. */
function remotePlace(config: NocturneConfig, targetName: string, dir: string, at: DocPath): Place | undefined {
  const target = config.daemon.targets[targetName];
  if (!target) return undefined;
  if (target.type === 'local') return { where: 'local', dir: withoutTrailingSlash(path.join(target.path, dir)), at };
  return { where: `${target.user}@${target.host}:${target.port}`, dir: withoutTrailingSlash(path.posix.normalize(dir)), at };
}

/** Whether one directory is the other or lies inside it. */
function nested(a: Place, b: Place): boolean {
  return inside(a, b) || inside(b, a);
}

function pairProblems(earlier: Facts, later: Facts): Problem[] {
  const other = `pipeline ${earlier.name} (${earlier.file})`;
  const problems: Problem[] = [];
  const [a, b] = [earlier.config, later.config];

  if (a.run && b.run && a.run.inputs.glob === b.run.inputs.glob) {
    const at = ['run', 'inputs', 'glob'];
    problems.push(
      a.code.name === b.code.name && a.code.version === b.code.version
        ? problem(
            at,
            'value',
            `the same observations and code (${b.code.name} ${b.code.version}) as ${other}: both would process them, then upload and load the results twice`,
          )
        : warning(at, 'value', `the same observations as ${other}, with another code: fine if meant`),
    );
  }
  for (const mine of later.outboxes) {
    const theirs = earlier.outboxes.find((o) => nested(o, mine));
    if (theirs) {
      const anchor = mine.at.length === 1 ? 'key' : 'value';
      problems.push(
        problem(
          mine.at,
          anchor,
          `outbox ${mine.dir} overlaps the outbox of ${other}, ${theirs.dir}: each upload would take and delete the other's files`,
        ),
      );
    }
  }
  const [up, upBefore] = [later.uploadsTo, earlier.uploadsTo];
  if (up && upBefore && up.where === upBefore.where && up.template === upBefore.template) {
    problems.push(problem(up.at, 'value', `the same remote directory as ${other}: files of one would replace the other's`));
  }
  const [source, sourceBefore] = [later.ingestsFrom, earlier.ingestsFrom];
  if (source && sourceBefore && nested(source, sourceBefore)) {
    problems.push(problem(source.at, 'value', `overlaps the source of ${other}, ${sourceBefore.dir}: both would load the same files`));
  } else {
    if (source && upBefore && nested(source, upBefore)) {
      problems.push(
        warning(
          source.at,
          'value',
          `holds what ${other} uploads, to ${upBefore.dir}: this ingest would load those files too, unless its include patterns leave them out`,
        ),
      );
    }
    if (up && sourceBefore && nested(up, sourceBefore)) {
      problems.push(
        warning(
          up.at,
          'value',
          `inside the ingest source of ${other}, ${sourceBefore.dir}: that ingest would load these files too, unless its include patterns leave them out`,
        ),
      );
    }
  }
  return problems;
}
