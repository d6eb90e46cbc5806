/**
 * Checks of the ingest section that its schema cannot express: single-CSV mode (table)
 * and sets mode (sets) are exclusive, and a sets declaration must hang together (file
 * name placeholders, roles, what each local id may reference). Like cross-checks.ts, it
 * reads the raw YAML data defensively and leaves wrong types to the schema.
 */
import { suggestion } from './did-you-mean.js';
import { problem, type Problem } from './issues.js';
import { SET_PARTS, SET_ROLES, type SetPart } from './schema.js';
import { isMapping } from './schema-walk.js';

/** Placeholders of sets.files, and of the per-code metadata file names. */
const SET_FILE_PLACEHOLDERS = ['code', 'version', 'date', 'obs', 'role'] as const;
const METADATA_FILE_PLACEHOLDERS = ['code', 'version', 'obs'] as const;

const TABLE_ONLY = ['columns', 'naturalKey', 'onConflict', 'badRows'] as const;

/** What the local ids of each member may be placeholders of. */
const REFERABLE: Record<'observations' | 'features' | 'tracking', readonly SetPart[]> = {
  observations: ['frcInfo', 'observatory'],
  features: ['frcInfo', 'observatory', 'observations'],
  tracking: ['features'],
};

export function ingestModeProblems(ingest: Record<string, unknown>): Problem[] {
  const sets = ingest['sets'];
  if (sets !== undefined && ingest['table'] !== undefined) {
    return [problem(['ingest', 'sets'], 'key', 'sets and table are exclusive: keep table for single CSV files, or sets for HFC file sets')];
  }
  if (sets === undefined) {
    if (ingest['table'] === undefined) {
      return [problem(['ingest', 'table'], 'missing', 'missing required key "table" (one CSV → one table) or "sets" (HFC file sets)')];
    }
    return (['columns', 'naturalKey'] as const)
      .filter((key) => ingest[key] === undefined)
      .map((key) => problem(['ingest', key], 'missing', `missing required key "${key}" (single-CSV mode: table is set)`));
  }
  const problems = TABLE_ONLY.filter((key) => ingest[key] !== undefined).map((key) =>
    problem(['ingest', key], 'key', `${key} applies to single-CSV mode (table) only; in sets mode columns are matched by header name`),
  );
  if (isMapping(sets)) problems.push(...setsProblems(sets));
  return problems;
}

function setsProblems(sets: Record<string, unknown>): Problem[] {
  const at = (...path: (string | number)[]) => ['ingest', 'sets', ...path];
  const problems: Problem[] = [];
  const tracking = sets['tracking'];
  const patterns: [(string | number)[], unknown][] = [
    [at('files'), sets['files']],
    [at('tracking', 'files'), isMapping(tracking) ? tracking['files'] : undefined],
  ];
  for (const [path, files] of patterns) {
    if (typeof files !== 'string') continue;
    problems.push(...placeholderProblems(path, files, SET_FILE_PLACEHOLDERS));
    for (const needed of ['{date}', '_{role}']) {
      if (!files.includes(needed)) {
        problems.push(
          problem(
            path,
            'value',
            `must contain ${needed}: members of one set differ only by {role}, e.g. "{code}_{version}_{date}_{obs}_{role}.csv"`,
          ),
        );
      }
    }
  }
  for (const part of ['frcInfo', 'observatory']) {
    const file = isMapping(sets[part]) ? sets[part]['file'] : undefined;
    const names = typeof file === 'string' ? [file] : Array.isArray(file) ? file : [];
    names.forEach((name, i) => {
      if (typeof name === 'string') {
        problems.push(
          ...placeholderProblems(typeof file === 'string' ? at(part, 'file') : at(part, 'file', i), name, METADATA_FILE_PLACEHOLDERS),
        );
      }
    });
  }
  const roles = sets['roles'];
  const declared = isMapping(roles) ? Object.values(roles) : [...SET_ROLES];
  if (isMapping(roles)) {
    for (const role of ['init', 'feat']) {
      if (!declared.includes(role)) problems.push(problem(at('roles'), 'value', `no word of the file names is given the role ${role}`));
    }
  }
  if (isMapping(roles) && declared.includes('track') && tracking === undefined) {
    problems.push(problem(at('tracking'), 'missing', 'a word has the role track: declare tracking (its table and references)'));
  }
  if (tracking !== undefined && !declared.includes('track')) {
    problems.push(problem(at('tracking'), 'key', 'tracking is declared but no word of roles has the role track'));
  }
  for (const member of ['observations', 'features', 'tracking'] as const) {
    const refs = isMapping(sets[member]) ? sets[member]['references'] : undefined;
    if (!isMapping(refs)) continue;
    const allowed = REFERABLE[member];
    for (const [header, ref] of Object.entries(refs)) {
      const of = isMapping(ref) ? ref['of'] : ref;
      if (typeof of !== 'string' || allowed.includes(of as SetPart)) continue;
      const path = isMapping(ref) ? at(member, 'references', header, 'of') : at(member, 'references', header);
      const message = (SET_PARTS as readonly string[]).includes(of)
        ? `${member} cannot reference ${of} (allowed: ${allowed.join(', ')})`
        : `unknown part "${of}"${suggestion(of, allowed, 'allowed here', 'nothing')}`;
      problems.push(problem(path, 'value', message));
    }
    if (member === 'tracking' && !Object.values(refs).some((ref) => (isMapping(ref) ? ref['of'] : ref) === 'features')) {
      problems.push(
        problem(
          at('tracking', 'references'),
          'value',
          'must name the header holding the feature of each row, e.g. {ID_SUNSPOT: {of: features, column: sunspot_id}}',
        ),
      );
    }
  }
  return problems;
}

function placeholderProblems(path: (string | number)[], value: string, allowed: readonly string[]): Problem[] {
  return [...value.matchAll(/\{([^}]*)\}/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !allowed.includes(name))
    .map((name) =>
      problem(path, 'value', `unknown placeholder {${name}}${suggestion(name, allowed, 'allowed', 'no placeholder is allowed')}`),
    );
}
