import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSchemas } from '../../../scripts/generate-schema.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

type Node = Record<string, unknown>;
/** The part of the daemon schema a target test reads. */
type TargetSchema = { oneOf?: unknown; properties: { type: { enum: string[] } }; allOf: Node[] };

/** Every subschema a person meets (an `if` is a condition, not a place in the file), with where it is. */
function* subschemas(node: unknown, at = ''): Generator<[string, Node]> {
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Node;
  yield [at, schema];
  for (const [key, value] of Object.entries((schema['properties'] ?? {}) as Node)) yield* subschemas(value, `${at}.${key}`);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const [i, value] of ((schema[key] ?? []) as unknown[]).entries()) yield* subschemas(value, `${at}/${key}[${i}]`);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'then'] as const) yield* subschemas(schema[key], `${at}/${key}`);
}

describe('schema/*.schema.json', () => {
  it('are what `npm run schema` generates from src/config/schema.ts (run it after changing the schema)', async () => {
    const generated = generateSchemas();
    expect(generated.map((g) => g.file)).toEqual(['schema/nocturne.schema.json', 'schema/pipeline.schema.json']);
    for (const { file, text } of generated) expect(await readFile(path.join(REPO, file), 'utf8'), file).toBe(text);
  });

  it('are draft-07 with an $id and a title, and refuse unknown keys', () => {
    for (const { text } of generateSchemas()) {
      const schema = JSON.parse(text) as Record<string, unknown>;
      expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', additionalProperties: false });
      expect(schema['$id']).toMatch(/^urn:nocturne:schema:/);
      expect(schema['title']).toEqual(expect.any(String));
    }
  });

  it('are the ones the example files name in their modeline', async () => {
    for (const file of ['config/nocturne.yaml', 'pipelines/sdoss.yaml', 'pipelines/spoca-ar.yaml', 'pipelines/rabat3.yaml']) {
      const first = (await readFile(path.join(REPO, file), 'utf8')).split('\n')[0];
      const schema = file.startsWith('config/') ? 'nocturne' : 'pipeline';
      expect(first, file).toBe(`# yaml-language-server: $schema=../schema/${schema}.schema.json`);
    }
  });

  it('describe every property, for hover and completion', () => {
    for (const { file, text } of generateSchemas()) {
      const undescribed = [...subschemas(JSON.parse(text))]
        .flatMap(([at, node]) =>
          Object.entries((node['properties'] ?? {}) as Record<string, Node>).map(([key, p]) => [`${at}.${key}`, p] as const),
        )
        .filter(([, property]) => typeof property['description'] !== 'string')
        .map(([at]) => at);
      expect(undescribed, file).toEqual([]);
    }
  });

  it('say what each pattern means instead of showing the regex (patternErrorMessage)', () => {
    for (const { file, text } of generateSchemas()) {
      const raw = [...subschemas(JSON.parse(text))].filter(
        ([, node]) => 'pattern' in node && typeof node['patternErrorMessage'] !== 'string',
      );
      expect(
        raw.map(([at, node]) => `${at} ${String(node['pattern'])}`),
        file,
      ).toEqual([]);
    }
  });

  it('discriminate the targets on type: one enum of types, then the keys of that type', () => {
    const daemon = JSON.parse(generateSchemas()[0]?.text ?? '{}') as { properties: { targets: { additionalProperties: TargetSchema } } };
    const target = daemon.properties.targets.additionalProperties;
    expect(target.oneOf).toBeUndefined();
    expect(target.properties.type.enum).toEqual(['ftp', 'ftps', 'sftp', 'local']);
    expect(target.allOf.map((member: Node) => member['if'])).toEqual([
      { properties: { type: { enum: ['ftp', 'ftps'] } }, required: ['type'] },
      { properties: { type: { enum: ['sftp'] } }, required: ['type'] },
      { properties: { type: { enum: ['local'] } }, required: ['type'] },
    ]);
  });
});
