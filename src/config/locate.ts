import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { clipped, formatPath, type DocPath, type Problem } from './issues.js';
import { decodeUtf8, MAX_CONFIG_BYTES, readRegularFile } from './read-text.js';
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
  /** Each mapping's pairs by key, built once, so that locating n problems stays linear. */
  readonly pairs: WeakMap<YAMLMap, Map<string, Pair>>;
}

export function parseYaml(display: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `yes`, `on` and `012` are not the booleans and octals of YAML 1.1.
  // Merge keys (`<<: *defaults`) are read, as editors' YAML servers read them.
  // uniqueKeys is off: the library compares each key with every earlier one of its
  // mapping (quadratic); indexPairs finds duplicates in one pass.
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.2',
    schema: 'core',
    merge: true,
    uniqueKeys: false,
    strict: true,
    prettyErrors: false,
  });
  const at = (offset: number, message: string): ConfigIssue => ({ file: display, ...lineCounter.linePos(offset), message });
  const syntaxIssues = onePerLine([...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], yamlMessage(e))));
  const pairs = indexPairs(doc, (offset, key) => syntaxIssues.push(at(offset, `duplicate key "${clipped(key)}"`)));
  let data: unknown;
  if (syntaxIssues.length === 0) {
    try {
      data = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // toJS throws for an alias whose anchor is missing, alias expansion that explodes, or a merge of no mapping.
      const offset = unresolvedAliasOffset(doc) ?? mergeKeyOffset(doc) ?? 0;
      syntaxIssues.push(at(offset, aliasHint(err instanceof Error ? err.message : String(err))));
    }
  }
  return { display, doc, lineCounter, data, syntaxIssues, pairs };
}

/** The yaml library's message, made specific where it is vague or speaks to programmers. */
function yamlMessage(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') return 'more than one YAML document in the file (remove the "---" line)';
  return aliasHint(error.message);
}

const ALIAS_HINT = 'a value starting with "*" is a YAML alias: quote it ("*/15 * * * *", ["*.csv"])';

/** An unquoted cron pattern or glob reads as aliases: the message says so, and how to write it. */
function aliasHint(message: string): string {
  return /\balias\b/i.test(message) ? `${message}; ${ALIAS_HINT}` : message;
}

// The first alias problem of each line: an unquoted cron pattern is one mistake, not four.
function onePerLine(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<number>();
  return issues.filter((issue) => {
    if (!issue.message.endsWith(ALIAS_HINT)) return true;
    if (seen.has(issue.line)) return false;
    seen.add(issue.line);
    return true;
  });
}

/**
 * Every mapping's scalar keys, as the text they become in the data (so `1` and "1",
 * which would silently overwrite each other, are duplicates too). A repeated key is
 * reported at its second occurrence.
 */
function indexPairs(doc: Document.Parsed, duplicate: (offset: number, key: string) => void): WeakMap<YAMLMap, Map<string, Pair>> {
  const index = new WeakMap<YAMLMap, Map<string, Pair>>();
  visit(doc, {
    Map(_, map) {
      const byKey = new Map<string, Pair>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        // A merge key's value is a Symbol: it is written, and named, "<<".
        const key = typeof pair.key.value === 'symbol' ? '<<' : String(pair.key.value);
        if (byKey.has(key)) duplicate(pair.key.range?.[0] ?? 0, key);
        else byKey.set(key, pair);
      }
      index.set(map, byKey);
    },
  });
  return index;
}

/** Where the first merge key is: a merge that fails points there rather than at 1:1. */
function mergeKeyOffset(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'symbol' && pair.key.range) {
        offset = pair.key.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
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
  const { line, col } = source.lineCounter.linePos(offsetOf(source, found.path, found.anchor));
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
  const decoded = await readRegularFile(file, MAX_CONFIG_BYTES).then(decodeUtf8, () => undefined);
  const source = parseYaml(file, decoded?.ok ? decoded.text : '');
  return (path) => {
    for (let depth = path.length; depth > 0; depth--) {
      const offset = keyOffset(source, path.slice(0, depth));
      if (offset !== undefined) return source.lineCounter.linePos(offset);
    }
    return { line: 1, col: 1 };
  };
}

/** The node at `path`, through the index (an alias is not followed, as in Document.getIn). */
function nodeAt(source: YamlSource, path: DocPath): unknown {
  let node: unknown = source.doc.contents;
  for (const step of path) {
    if (isMap(node)) node = source.pairs.get(node)?.get(String(step))?.value;
    else if (isSeq(node) && typeof step === 'number') node = node.items[step];
    else return undefined;
  }
  return node;
}

/** Where the last key of `path` is written, if it is. */
function keyOffset(source: YamlSource, path: DocPath): number | undefined {
  const parent = nodeAt(source, path.slice(0, -1));
  if (!isMap(parent)) return undefined;
  const pair = source.pairs.get(parent)?.get(String(path[path.length - 1]));
  return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
}

function offsetOf(source: YamlSource, path: Problem['path'], anchor: Problem['anchor']): number {
  if (path.length === 0) return source.doc.contents?.range?.[0] ?? 0;
  const parentPath = path.slice(0, -1);
  if (anchor === 'missing') return offsetOf(source, parentPath, 'key');
  if (anchor === 'key') {
    const offset = keyOffset(source, path);
    if (offset !== undefined) return offset;
  }
  const node = nodeAt(source, path);
  if (isNode(node) && node.range) return node.range[0];
  // No node of its own (an empty value, or a path through an alias): point at the key, else the parent.
  return anchor === 'key' ? offsetOf(source, parentPath, 'value') : offsetOf(source, path, 'key');
}
