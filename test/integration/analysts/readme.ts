// What sql/catalogue/README.md promises, read from it: the recipes (each a ```sql block
// after a <!-- recipe: name --> line) and lineage()'s documented column list.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO } from './demo-night.js';

const README = path.join(REPO, 'sql/catalogue/README.md');

/** The recipes by name, their `hfc.` written as `schema.`. */
export async function recipes(schema: string): Promise<Map<string, string>> {
  const text = await readFile(README, 'utf8');
  const found = new Map<string, string>();
  for (const [, name, sql] of text.matchAll(/<!-- recipe: ([a-z-]+) -->\n```sql\n([\s\S]*?)```/g)) {
    found.set(name!, sql!.replaceAll(/\bhfc\./g, `"${schema}".`));
  }
  return found;
}

/** The column names of the table after <!-- lineage-columns -->, in order (cells such as "`a`, `b`" name several). */
export async function documentedLineageColumns(): Promise<string[]> {
  const text = await readFile(README, 'utf8');
  const table = text.split('<!-- lineage-columns -->\n')[1]!.split('\n\n')[0]!;
  return table
    .split('\n')
    .slice(2)
    .flatMap((row) => [...row.split('|')[1]!.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]!));
}
