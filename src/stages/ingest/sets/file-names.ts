import type { SetRole, SetsConfig } from '../../../config/schema.js';

/** What a file name says about the file. */
export type NamedFile =
  | { kind: 'member'; role: SetRole; word: string; key: string }
  | { kind: 'metadata'; part: 'frcInfo' | 'observatory' };

export interface FileNameGrammar {
  /** Reads a base name; undefined for a name that belongs to no set. */
  read(name: string): NamedFile | undefined;
  /** The per-code metadata file names. */
  readonly metadata: { frcInfo: string; observatory: string };
}

const DATE = '(\\d{8}T\\d{6})';
const OBS = '([A-Za-z0-9-]+)';

/**
 * The grammar of one pipeline's file names, from `sets.files`: {code} is the pipeline's
 * code name (any case: SoSoFT), {version} its version without dots (1.06 → 106). The
 * set key is the name with "_{role}" and the extension removed, so every member of one
 * observation shares it; a track file is a set of its own, keyed by its whole name.
 */
export function compileGrammar(
  sets: Pick<SetsConfig, 'files' | 'roles' | 'frcInfo' | 'observatory' | 'tracking'>,
  code: { name: string; version: string },
): FileNameGrammar {
  const version = code.version.replaceAll('.', '');
  // Without tracking declared, track files (the default roles name them) are not members.
  const words = Object.keys(sets.roles).filter((word) => sets.tracking !== undefined || sets.roles[word] !== 'track');
  const roleGroup = `(${words.map(escape).join('|')})`;
  const codeRe = [...code.name].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escape(c))).join('');
  const order: string[] = [];
  const source = sets.files.replace(/\{(\w+)\}|[^{]+|\{/g, (piece: string, name: string | undefined) => {
    if (name === undefined) return escape(piece);
    order.push(name);
    if (name === 'code') return `(${codeRe})`;
    if (name === 'version') return `(${escape(version)})`;
    if (name === 'date') return DATE;
    if (name === 'obs') return OBS;
    return roleGroup;
  });
  const pattern = new RegExp(`^${source}$`);
  const roleAt = order.indexOf('role') + 1;
  const fill = (template: string) => template.replaceAll('{code}', code.name).replaceAll('{version}', version);
  const metadata = { frcInfo: fill(sets.frcInfo.file), observatory: fill(sets.observatory.file) };
  const keyTemplate = sets.files.replace('_{role}', '').replace(/\.[A-Za-z0-9]+$/, '');
  return {
    metadata,
    read(name) {
      if (name === metadata.frcInfo) return { kind: 'metadata', part: 'frcInfo' };
      if (name === metadata.observatory) return { kind: 'metadata', part: 'observatory' };
      const m = pattern.exec(name);
      if (!m) return undefined;
      const word = m[roleAt]!;
      const role = sets.roles[word]!;
      if (role === 'track') return { kind: 'member', role, word, key: name.replace(/\.[A-Za-z0-9]+$/, '') };
      let i = 0;
      const key = keyTemplate.replace(/\{(\w+)\}/g, (_all, placeholder: string) => {
        const at = order.indexOf(placeholder, i);
        i = at + 1;
        return m[at + 1] ?? '';
      });
      return { kind: 'member', role, word, key };
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
