import path from 'node:path';
import type { SetRole, SetsConfig } from '../../../config/schema.js';
import type { MetadataPart } from './metadata.js';

/** What a file name says about the file. */
export type NamedFile =
  | { kind: 'member'; role: SetRole; word: string; key: string; reemissionKey: string; obs: string | undefined }
  | { kind: 'metadata'; part: MetadataPart };

export interface FileNameGrammar {
  /** The names of members (a set's, and track files' when tracking is declared): retention keeps the jobs of those not loaded yet. */
  members: readonly RegExp[];
  /** Reads a base name; undefined for a name that belongs to no set and is no metadata file. */
  read(name: string): NamedFile | undefined;
  /** The metadata file names declared for a set whose {obs} is `obs`, in the order they are tried. */
  metadataNames(part: MetadataPart, obs: string | undefined): string[];
  /**
   * The set key of the features a track row names by its FEAT_FILENAME: the set key of a
   * feat file name, else the base name up to its first "." (SPoCA names its map,
   * spoca-ar_301_20140221T000009_sdo.armap.fits → spoca-ar_301_20140221T000009_sdo).
   */
  featureSetKey(featFilename: string): string;
}

const DATE = '(\\d{8}T\\d{6})';
const OBS = '([A-Za-z0-9-]+)';
const EXTENSION = /\.[A-Za-z0-9]+$/;

interface Pattern {
  regex: RegExp;
  order: string[];
  template: string;
}

/**
 * The grammar of one pipeline's file names, from `sets.files` (and `sets.tracking.files`
 * for track files, with the tracker's own code name): {code} is the code name (any
 * case: SoSoFT), {version} the version without dots (1.06 → 106). The set key is the
 * name with "_{role}" and the extension removed, so every member of one observation
 * shares it; a track file is a set of its own, keyed by its whole name. The re-emission
 * key is the set key with the version as "*": another version's set of the same
 * observation is a re-emission of it (the sets' `reemitted` rule), never a load beside it.
 */
export function compileGrammar(
  sets: Pick<SetsConfig, 'files' | 'roles' | 'frcInfo' | 'observatory' | 'tracking'>,
  code: { name: string; version: string },
): FileNameGrammar {
  const version = code.version.replaceAll('.', '');
  const wordsOf = (track: boolean) => Object.keys(sets.roles).filter((word) => (sets.roles[word] === 'track') === track);
  // Without tracking declared, track files (the default roles name them) are not members.
  const setPattern = compile(sets.files, { code: code.name, version, words: wordsOf(false) });
  const trackPattern = sets.tracking
    ? compile(sets.tracking.files ?? sets.files, { code: sets.tracking.code ?? code.name, version, words: wordsOf(true) })
    : undefined;
  const fill = (template: string, obs: string | undefined) =>
    template
      .replaceAll('{code}', code.name)
      .replaceAll('{version}', version)
      .replaceAll('{obs}', obs ?? '{obs}');
  const metadataTemplates = (part: MetadataPart) => {
    const file = sets[part].file;
    return typeof file === 'string' ? [file] : file;
  };
  const metadataPatterns = (['frcInfo', 'observatory'] as const).flatMap((part) =>
    metadataTemplates(part).map((template) => ({
      part,
      regex: new RegExp(`^${fill(template, undefined).split('{obs}').map(escape).join(OBS)}$`),
    })),
  );
  const grammar: FileNameGrammar = {
    members: trackPattern ? [setPattern.regex, trackPattern.regex] : [setPattern.regex],
    read(name) {
      const metadata = metadataPatterns.find((p) => p.regex.test(name));
      if (metadata) return { kind: 'metadata', part: metadata.part };
      for (const pattern of trackPattern ? [setPattern, trackPattern] : [setPattern]) {
        const m = pattern.regex.exec(name);
        if (!m) continue;
        const word = m[pattern.order.indexOf('role') + 1]!;
        const role = sets.roles[word]!;
        const obsAt = pattern.order.indexOf('obs');
        const obs = obsAt < 0 ? undefined : m[obsAt + 1];
        if (role === 'track') {
          const at = pattern.order.indexOf('version');
          const version = at < 0 ? undefined : m.indices![at + 1];
          const reemission = version ? `${name.slice(0, version[0])}*${name.slice(version[1])}` : name;
          return { kind: 'member', role, word, key: name.replace(EXTENSION, ''), reemissionKey: reemission.replace(EXTENSION, ''), obs };
        }
        return { kind: 'member', role, word, key: setKey(pattern, m), reemissionKey: setKey(pattern, m, '*'), obs };
      }
      return undefined;
    },
    metadataNames: (part, obs) =>
      metadataTemplates(part)
        .filter((t) => obs !== undefined || !t.includes('{obs}'))
        .map((t) => fill(t, obs)),
    featureSetKey(featFilename) {
      const name = path.posix.basename(featFilename.replaceAll('\\', '/'));
      const named = grammar.read(name);
      if (named?.kind === 'member' && named.role !== 'track') return named.key;
      const dot = name.indexOf('.');
      return dot < 0 ? name : name.slice(0, dot);
    },
  };
  return grammar;
}

function compile(files: string, { code, version, words }: { code: string; version: string; words: string[] }): Pattern {
  const roleGroup = `(${words.map(escape).join('|') || '(?!)'})`;
  const codeRe = [...code].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escape(c))).join('');
  const order: string[] = [];
  const source = files.replace(/\{(\w+)\}|[^{]+|\{/g, (piece: string, name: string | undefined) => {
    if (name === undefined) return escape(piece);
    order.push(name);
    if (name === 'code') return `(${codeRe})`;
    if (name === 'version') return `(${escape(version)})`;
    if (name === 'date') return DATE;
    if (name === 'obs') return OBS;
    return roleGroup;
  });
  // d: the indices of the version in a track file's name (its re-emission key).
  return { regex: new RegExp(`^${source}$`, 'd'), order, template: files.replace('_{role}', '').replace(EXTENSION, '') };
}

/** The set key of a matched init or feat name: the pattern without "_{role}" and the extension, filled (the version as `version` if given). */
function setKey(pattern: Pattern, m: RegExpExecArray, version?: string): string {
  let i = 0;
  return pattern.template.replace(/\{(\w+)\}/g, (_all, placeholder: string) => {
    const at = pattern.order.indexOf(placeholder, i);
    i = at + 1;
    return placeholder === 'version' && version !== undefined ? version : (m[at + 1] ?? '');
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
