import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSchemas } from '../../../scripts/generate-schema.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

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
});
