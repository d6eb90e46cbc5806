/**
 * Turns zod's issues into problems an observatory's staff can act on: YAML words
 * (mapping, list), the keys allowed where a typo was made, and one clear sentence for a
 * union instead of every member's complaint. A text value is quoted only where it cannot
 * be a secret (an enum's value, a YAML 1.1 boolean); patterns and unions never quote it.
 */
import type { z } from 'zod';
import { closest, suggestion } from './did-you-mean.js';
import { clipped, problem, type DocPath, type Problem } from './issues.js';
import { isSecretRefSchema } from './schema.js';
import { allowedKeys, isMapping, schemaAt, unionLiterals, unionMemberMeant, unionShapes, unwrap, valueAt } from './schema-walk.js';

type ZodIssue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

const NOT_A_SECRET_REF =
  'must be a secret reference: exactly one of {env: NAME}, {file: PATH} or {credential: NAME}, never the secret itself';

const YAML11_BOOLEANS = new Set(['yes', 'no', 'on', 'off', 'y', 'n', 'true', 'false']);

function got(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? `${typeof value} ${value}` : typeof value;
}

function docPath(path: readonly PropertyKey[]): DocPath {
  return path.map((step) => (typeof step === 'number' ? step : String(step)));
}

/** The problems behind zod's issues for document `data` validated by `root`. */
export function zodProblems(root: z.ZodType, data: unknown, issues: readonly ZodIssue[]): Problem[] {
  return issues.flatMap((issue) => translate(root, data, issue));
}

function translate(root: z.ZodType, data: unknown, issue: ZodIssue): Problem[] {
  const path = docPath(issue.path);
  const value = valueAt(data, path);
  const parent = valueAt(data, path.slice(0, -1));
  const key = String(path[path.length - 1]);
  const absent = value === undefined && path.length > 0 && isMapping(parent);
  switch (issue.code) {
    case 'unrecognized_keys':
      return strayKeys(root, data, path, issue.keys, unusedKeys(root, data, path));
    case 'invalid_key': {
      const inner = issue.issues.map((i) => describe(i, key)).join('; ');
      return [problem(path, 'key', `invalid name "${clipped(key)}": ${inner}`)];
    }
    case 'invalid_union':
      return union(root, data, issue, path, value, absent);
    default:
      if (!absent) return [problem(path, 'value', describe(issue, value))];
      // `schedul:` already says "did you mean schedule?"; "schedule is missing" would be noise.
      return misspelt(root, data, path) ? [] : [problem(path, 'missing', `missing required key "${key}"`)];
  }
}

function isSecretRef(schema: z.ZodType | undefined): boolean {
  return schema !== undefined && isSecretRefSchema(unwrap(schema));
}

/** Keys that nothing allows at `path`, each with the key it probably stands for. */
function strayKeys(root: z.ZodType, data: unknown, path: DocPath, strays: readonly string[], candidates: string[]): Problem[] {
  // A secret written as a key (`password: {s3cret}`) must not be echoed: only near-misses are named.
  if (isSecretRef(schemaAt(root, path, data)) && strays.some((stray) => closest(stray, candidates) === undefined)) {
    return [problem(path, 'value', NOT_A_SECRET_REF)];
  }
  return strays.map((stray) =>
    problem(
      [...path, stray],
      'key',
      `unknown key "${clipped(stray)}"${suggestion(stray, candidates, 'allowed here', 'no other key is allowed here')}`,
    ),
  );
}

/** The keys of a mapping that may stand in it, less those it already has. */
function unusedKeys(root: z.ZodType, data: unknown, path: DocPath): string[] {
  const value = valueAt(data, path);
  return allowedKeys(schemaAt(root, path, data), value).filter((k) => !isMapping(value) || !(k in value));
}

/** Whether an unknown key beside the missing one at `path` is its misspelling. */
function misspelt(root: z.ZodType, data: unknown, path: DocPath): boolean {
  const parentPath = path.slice(0, -1);
  const parent = valueAt(data, parentPath);
  const unused = unusedKeys(root, data, parentPath);
  const allowed = allowedKeys(schemaAt(root, parentPath, data), parent);
  const strays = isMapping(parent) ? Object.keys(parent).filter((k) => !allowed.includes(k)) : [];
  return strays.some((stray) => closest(stray, unused) === path[path.length - 1]);
}

/** The message for an issue about a single value. */
function describe(issue: ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const hint =
        issue.expected === 'boolean' && typeof value === 'string' && YAML11_BOOLEANS.has(value.toLowerCase())
          ? ` (YAML 1.2 reads ${value} as text: write true or false)`
          : '';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got(value)}${hint}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const shown = typeof value === 'string' ? `"${clipped(value)}"` : got(value);
      return allowed.length === 1 ? `must be "${allowed[0]}", not ${shown}` : `${shown} is not one of ${allowed.join(', ')}`;
    }
    case 'invalid_format':
      // Our schemas give each pattern a message that says what is expected; zod's own start with "Invalid".
      return issue.message.startsWith('Invalid') ? `does not match ${issue.pattern ?? issue.format}` : issue.message;
    case 'too_small':
      return bound('at least', issue.origin, Number(issue.minimum), issue.exact === true);
    case 'too_big':
      return bound('at most', issue.origin, Number(issue.maximum), issue.exact === true);
    default:
      return issue.message;
  }
}

function bound(limit: 'at least' | 'at most', origin: string, n: number, exact: boolean): string {
  const how = exact ? 'exactly' : limit;
  if (origin === 'string') {
    if (n === 1 && limit === 'at least' && !exact) return 'must not be empty';
    return `must be ${how} ${n} character${n === 1 ? '' : 's'} long`;
  }
  if (origin === 'array') return n === 1 && !exact ? `must list ${how} one item` : `must list ${how} ${n} items`;
  return `must be ${how} ${n}`;
}

function union(
  root: z.ZodType,
  data: unknown,
  issue: Extract<ZodIssue, { code: 'invalid_union' }>,
  path: DocPath,
  value: unknown,
  absent: boolean,
): Problem[] {
  const key = String(path[path.length - 1]);
  // A discriminated union whose tag (e.g. a target's `type`) is missing or unknown.
  // zod adds these two fields at run time without declaring them.
  const { note, options: tags } = issue as { note?: string; options?: unknown[] };
  if (note === 'No matching discriminator' && tags !== undefined) {
    const allowed = tags.map(String).join(', ');
    if (absent) return [problem(path, 'missing', `missing required key "${key}" (one of ${allowed})`)];
    return [problem(path, 'value', `${typeof value === 'string' ? `"${clipped(value)}"` : got(value)} is not one of ${allowed}`)];
  }
  if (absent) return [problem(path, 'missing', `missing required key "${key}"`)];
  const schema = schemaAt(root, path, data);
  // Keys that no member knows are surely typos: say which key was meant.
  if (isMapping(value)) {
    const known = allowedKeys(schema, undefined);
    const strays = Object.keys(value).filter((k) => !known.includes(k));
    if (strays.length > 0) return strayKeys(root, data, path, strays, known);
    // Its keys say which member it means: that member's complaints are the ones that help.
    const meant = unionMemberMeant(schema, value);
    if (meant !== undefined && !isSecretRef(schema)) return memberProblems(root, data, issue.errors[meant] ?? [], path);
  }
  // One member fits better than all others: its complaints are the ones that help.
  const counts = issue.errors.map((errors) => errors.length);
  const fewest = Math.min(...counts);
  const best = counts.indexOf(fewest);
  if (counts.filter((n) => n === fewest).length === 1 && best >= 0) return memberProblems(root, data, issue.errors[best] ?? [], path);
  if (isSecretRef(schema)) return [problem(path, 'value', NOT_A_SECRET_REF)];
  const literals = unionLiterals(schema);
  if (literals.length > 0) return [problem(path, 'value', `${got(value)} is not one of ${literals.join(', ')}`)];
  const shapes = unionShapes(schema);
  if (shapes.length > 0) return [problem(path, 'value', `must be a mapping with the keys ${shapes.join(' or ')}`)];
  const what = schema?.description;
  return [problem(path, 'value', what === undefined ? issue.message : `${got(value)} does not fit: ${lowerFirst(what)}`)];
}

/** The problems of one union member's validation, at the union's place. */
function memberProblems(root: z.ZodType, data: unknown, errors: readonly ZodIssue[], path: DocPath): Problem[] {
  return zodProblems(
    root,
    data,
    errors.map((inner) => ({ ...inner, path: [...path, ...inner.path] })),
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
