/**
 * Writes the JSON Schemas of config/nocturne.yaml and pipelines/*.yaml from the zod
 * schemas (src/config/schema.ts), for editors (yaml-language-server reads draft-07).
 * Run `npm run schema` after changing schema.ts; a unit test fails while they differ.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { daemonConfigSchema, pipelineSchema } from '../src/config/schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each schema file (relative to the repository) and its text. */
export function generateSchemas(): { file: string; text: string }[] {
  const build = (schema: z.ZodType, name: string, title: string) => {
    const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-07', io: 'input' });
    const json = { $schema, $id: `urn:nocturne:schema:${name}`, title, ...rest };
    return { file: `schema/${name}.schema.json`, text: `${JSON.stringify(json, null, 2)}\n` };
  };
  return [
    build(daemonConfigSchema, 'nocturne', 'nocturne daemon configuration (config/nocturne.yaml)'),
    build(pipelineSchema, 'pipeline', 'nocturne pipeline (pipelines/<name>.yaml)'),
  ];
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { file, text } of generateSchemas()) {
    await writeFile(path.join(ROOT, file), text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
