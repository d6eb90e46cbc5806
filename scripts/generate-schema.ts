/**
 * Writes the JSON Schemas of config/nocturne.yaml and pipelines/*.yaml from the zod
 * schemas (src/config/schema.ts), for editors (yaml-language-server reads draft-07).
 * Run `npm run schema` after changing schema.ts; a unit test fails while they differ.
 *
 * Two things draft-07 cannot say the way zod does are written for the editor:
 * - a regex's message becomes `patternErrorMessage`, which yaml-language-server shows
 *   instead of the raw regex (every regex of schema.ts must have one);
 * - a discriminated union becomes one `enum` on the discriminator plus an if/then per
 *   member, so a misspelt `type` lists the accepted types instead of the oneOf member
 *   that happened to fit best ('Value must be "local"').
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { daemonConfigSchema, pipelineSchema } from '../src/config/schema.js';
import { unwrap } from '../src/config/schema-walk.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each schema file (relative to the repository) and its text. */
export function generateSchemas(): { file: string; text: string }[] {
  const build = (schema: z.ZodType, name: string, title: string) => {
    const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-07', io: 'input', override: forEditors });
    const json = { $schema, $id: `urn:nocturne:schema:${name}`, title, ...rest };
    return { file: `schema/${name}.schema.json`, text: `${JSON.stringify(json, null, 2)}\n` };
  };
  return [
    build(daemonConfigSchema, 'nocturne', 'nocturne daemon configuration (config/nocturne.yaml)'),
    build(pipelineSchema, 'pipeline', 'nocturne pipeline (pipelines/<name>.yaml)'),
  ];
}

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; oneOf?: JsonSchema[] };

function forEditors(ctx: { zodSchema: unknown; jsonSchema: object }): void {
  const { zodSchema } = ctx;
  const jsonSchema = ctx.jsonSchema as JsonSchema;
  // Wrappers (default, optional) carry the JSON of what they wrap: read the wrapped schema.
  const def = unwrap(zodSchema as z.ZodType).def as { type: string; checks?: unknown[]; discriminator?: string };
  if (typeof jsonSchema['pattern'] === 'string') jsonSchema['patternErrorMessage'] = patternMessage(def.checks ?? []);
  if (def.type === 'union' && def.discriminator !== undefined && jsonSchema.oneOf) {
    Object.assign(jsonSchema, discriminated(def.discriminator, jsonSchema.oneOf));
    delete jsonSchema.oneOf;
  }
}

function patternMessage(checks: unknown[]): string {
  for (const check of checks) {
    const def = (check as { _zod: { def: { format?: string; pattern?: RegExp; error?: (issue: object) => unknown } } })._zod.def;
    const message = def.format === 'regex' ? def.error?.({}) : undefined;
    if (typeof message === 'string') return message;
    if (def.format === 'regex') throw new Error(`the regex ${String(def.pattern)} of src/config/schema.ts has no message: give it one`);
  }
  throw new Error('a pattern without a regex check');
}

/** { type: {enum: every tag}, allOf: [{if: {type: tags of member}, then: member}, ...] } */
function discriminated(key: string, members: JsonSchema[]): JsonSchema {
  const tagsOf = (member: JsonSchema): unknown[] => {
    const tag = member.properties?.[key] ?? {};
    return Array.isArray(tag['enum']) ? tag['enum'] : [tag['const']];
  };
  const descriptions = members.map((m) => m.properties?.[key]?.['description']).filter((d) => typeof d === 'string');
  return {
    type: 'object',
    required: [key],
    properties: { [key]: { type: 'string', enum: members.flatMap(tagsOf), description: descriptions.join(' ') } },
    allOf: members.map((member) => ({ if: { properties: { [key]: { enum: tagsOf(member) } }, required: [key] }, then: member })),
  };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { file, text } of generateSchemas()) {
    await writeFile(path.join(ROOT, file), text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
