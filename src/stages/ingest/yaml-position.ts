import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';

export type YamlPath = readonly (string | number)[];

/**
 * Finds where a key sits in a YAML file, so that an issue found later (e.g. by looking
 * at the database) points at the line to edit: the line of the key itself, else of the
 * nearest ancestor present, else the top of the file.
 */
export async function yamlLocator(file: string): Promise<(at: YamlPath) => { line: number; col: number }> {
  // Only positions are at stake: an unreadable file (the loader reported it) locates at 1:1.
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return (at) => {
    for (let depth = at.length; depth > 0; depth--) {
      const parent = depth === 1 ? doc.contents : doc.getIn(at.slice(0, depth - 1), true);
      if (!isMap(parent)) continue;
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === at[depth - 1]);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lines.linePos(range[0]);
    }
    return { line: 1, col: 1 };
  };
}
