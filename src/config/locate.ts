import { readFile } from 'node:fs/promises';
import { isMap, isNode, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { formatPath, type DocPath, type Problem } from './issues.js';
import type { ConfigIssue } from './types.js';

/** One YAML file, parsed with its positions kept so that every problem can be located. */
export interface YamlSource {
  /** The file as shown in messages. */
  readonly display: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** Plain data ({} for an empty file); undefined when the YAML itself is broken. */
  readonly data: unknown;
  /** Syntax errors, duplicate keys and the like, at the yaml library's own positions. */
  readonly syntaxIssues: readonly ConfigIssue[];
}

export function parseYaml(display: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `yes`, `on` and `012` are not the booleans and octals of YAML 1.1.
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
  });
  const at = (offset: number, message: string): ConfigIssue => ({ file: display, ...lineCounter.linePos(offset), message });
  const syntaxIssues = [...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], yamlMessage(e, doc)));
  let data: unknown;
  if (syntaxIssues.length === 0) {
    try {
      data = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // toJS throws for an alias whose anchor is missing, or alias expansion that explodes.
      syntaxIssues.push(at(unresolvedAliasOffset(doc) ?? 0, err instanceof Error ? err.message : String(err)));
    }
  }
  return { display, doc, lineCounter, data, syntaxIssues };
}

/** The yaml library's message, made specific where it is vague or speaks to programmers. */
function yamlMessage(error: YAMLError, doc: Document.Parsed): string {
  if (error.code === 'MULTIPLE_DOCS') return 'more than one YAML document in the file (remove the "---" line)';
  if (error.code !== 'DUPLICATE_KEY') return error.message;
  let key: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== error.pos[0]) return undefined;
      key = String(pair.key.value);
      return visit.BREAK;
    },
  });
  return key === undefined ? error.message : `duplicate key "${key}"`;
}

function unresolvedAliasOffset(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined && alias.range) {
        offset = alias.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
}

/** Gives a problem its line and column, and prefixes its message with where it is. */
export function locate(source: YamlSource, found: Problem): ConfigIssue {
  const { line, col } = source.lineCounter.linePos(offsetOf(source.doc, found.path, found.anchor));
  const owner = formatPath(found.anchor === 'value' ? found.path : found.path.slice(0, -1));
  const message = owner === '' ? found.message : `${owner}: ${found.message}`;
  return { file: source.display, line, col, message, ...(found.warning ? { warning: true as const } : {}) };
}

/**
 * Where a key sits in a YAML file, for a problem found after loading (e.g. by looking at
 * the database), so that it points at the line to edit: the key, else the nearest
 * ancestor present. An unreadable file (the loader reported it) locates at 1:1.
 */
export async function yamlLocator(file: string): Promise<(path: DocPath) => { line: number; col: number }> {
  const { doc, lineCounter } = parseYaml(file, await readFile(file, 'utf8').catch(() => ''));
  return (path) => {
    for (let depth = path.length; depth > 0; depth--) {
      const offset = keyOffset(doc, path.slice(0, depth));
      if (offset !== undefined) return lineCounter.linePos(offset);
    }
    return { line: 1, col: 1 };
  };
}

/** Where the last key of `path` is written, if it is. */
function keyOffset(doc: Document.Parsed, path: DocPath): number | undefined {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = String(path[path.length - 1]);
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last);
  return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
}

function offsetOf(doc: Document.Parsed, path: Problem['path'], anchor: Problem['anchor']): number {
  if (path.length === 0) return doc.contents?.range?.[0] ?? 0;
  const parentPath = path.slice(0, -1);
  if (anchor === 'missing') return offsetOf(doc, parentPath, 'key');
  if (anchor === 'key') {
    const offset = keyOffset(doc, path);
    if (offset !== undefined) return offset;
  }
  const node = doc.getIn(path, true);
  if (isNode(node) && node.range) return node.range[0];
  // No node of its own (an empty value, or a path through an alias): point at the key, else the parent.
  return anchor === 'key' ? offsetOf(doc, parentPath, 'value') : offsetOf(doc, path, 'key');
}
