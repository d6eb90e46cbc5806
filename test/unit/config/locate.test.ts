import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssues, type Anchor, type DocPath } from '../../../src/config/issues.js';
import { locate, parseYaml, yamlLocator } from '../../../src/config/locate.js';

const TEXT = `# a comment
run:
  schedule: "0 2 * * *"
  command: [bin/sdoss, "{input}"]
  inputs: {glob: "*.fits"}
empty:
shared: &shared {a: 1}
again: *shared
`;

function at(path: DocPath, anchor: Anchor, text = TEXT): string {
  const { file, line, col, message } = locate(parseYaml('p.yaml', text), { path, anchor, message: 'here' });
  return `${file}:${line}:${col}: ${message}`;
}

describe('locate', () => {
  it('points a value problem at the value, prefixed with its path', () => {
    expect(at(['run', 'schedule'], 'value')).toBe('p.yaml:3:13: run.schedule: here');
    expect(at(['run', 'command', 1], 'value')).toBe('p.yaml:4:24: run.command[1]: here');
    expect(at(['run', 'inputs', 'glob'], 'value')).toBe('p.yaml:5:18: run.inputs.glob: here');
  });

  it('points a key problem at the key, prefixed with the mapping holding it', () => {
    expect(at(['run', 'schedule'], 'key')).toBe('p.yaml:3:3: run: here');
    expect(at(['run', 'inputs', 'glob'], 'key')).toBe('p.yaml:5:12: run.inputs: here');
  });

  it("points a missing key at its parent mapping's key, or at the document's start", () => {
    expect(at(['run', 'timezone'], 'missing')).toBe('p.yaml:2:1: run: here');
    expect(at(['run', 'inputs', 'lookbackDays'], 'missing')).toBe('p.yaml:5:3: run.inputs: here');
    expect(at(['name'], 'missing')).toBe('p.yaml:2:1: here');
    expect(at(['name'], 'missing', '')).toBe('p.yaml:1:1: here');
  });

  it('falls back to the key when a value has no node of its own, or lies behind an alias', () => {
    expect(at(['empty'], 'value')).toBe('p.yaml:6:7: empty: here');
    expect(at(['again', 'a'], 'value')).toBe('p.yaml:8:8: again.a: here');
  });
});

describe('parseYaml', () => {
  const problems = (text: string) => {
    const source = parseYaml('p.yaml', text);
    return { data: source.data, issues: formatIssues(source.syntaxIssues).split('\n').slice(0, -1) };
  };

  it('reads YAML 1.2: yes is text, 012 is twelve, an empty file is an empty mapping', () => {
    expect(problems('a: yes\nb: 012\nc: 0o17\n')).toEqual({ data: { a: 'yes', b: 12, c: 15 }, issues: [] });
    expect(problems('# nothing\n')).toEqual({ data: {}, issues: [] });
  });

  it("reports the yaml library's errors at its own positions, and no data", () => {
    expect(problems('a: 1\nb:\n  c: 2\n  c: 3\n')).toEqual({ data: undefined, issues: ['p.yaml:4:3: duplicate key "c"'] });
    expect(problems('a:\n\tb: 1\n').issues).toContain('p.yaml:2:1: Tabs are not allowed as indentation');
    expect(problems('a: "open\n').issues).toEqual(['p.yaml:2:1: Missing closing "quote']);
    expect(problems('a: 1\n---\na: 2\n').issues).toEqual(['p.yaml:2:1: more than one YAML document in the file (remove the "---" line)']);
  });

  it('locates an alias without an anchor', () => {
    expect(problems('a: 1\nb: *nowhere\n').issues).toEqual([
      'p.yaml:2:4: Unresolved alias (the anchor must be set before the alias): nowhere; a value starting with "*" is a YAML alias: quote it ("*/15 * * * *", ["*.csv"])',
    ]);
  });

  it('says that an unquoted cron pattern or glob is read as aliases, once per line, and how to write it', () => {
    const hint = 'a value starting with "*" is a YAML alias: quote it ("*/15 * * * *", ["*.csv"])';
    const cron = problems('run:\n  schedule: */15 * * * *\n').issues;
    expect(cron).toHaveLength(1);
    expect(cron[0]).toMatch(/^p\.yaml:2:\d+: .*alias.*; /i);
    expect(cron[0]!.endsWith(hint)).toBe(true);
    expect(problems('upload:\n  include: [*.csv, *.jpg]\n').issues).toEqual([
      `p.yaml:2:13: Unresolved alias (the anchor must be set before the alias): .csv; ${hint}`,
    ]);
  });

  it('reads merge keys, as editors do: shared settings written once', () => {
    const { data, issues } = problems('common: &common {timezone: Europe/Paris, retries: 2}\nupload:\n  <<: *common\n  retries: 3\n');
    expect(issues).toEqual([]);
    expect(data).toEqual({ common: { timezone: 'Europe/Paris', retries: 2 }, upload: { timezone: 'Europe/Paris', retries: 3 } });
  });

  it('points a merge of no mapping at its key, and names a repeated merge key as written', () => {
    expect(problems('upload:\n  <<: 5\n').issues).toEqual(['p.yaml:2:3: Merge sources must be maps or map aliases']);
    expect(problems('upload:\n  <<: {a: 1}\n  <<: {b: 2}\n').issues).toEqual(['p.yaml:3:3: duplicate key "<<"']);
  });

  it('counts lines the same with CRLF line ends', () => {
    const source = parseYaml('p.yaml', 'a: 1\r\nb:\r\n  c: 2\r\n');
    expect(locate(source, { path: ['b', 'c'], anchor: 'value', message: 'here' })).toMatchObject({ line: 3, col: 6 });
  });
});

describe('yamlLocator (problems found after loading, e.g. in the database)', () => {
  it('points at the key, else at its nearest ancestor present, else at 1:1', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-locator-'));
    try {
      const file = path.join(dir, 'p.yaml');
      await writeFile(file, TEXT);
      const find = await yamlLocator(file);
      expect(find(['run', 'inputs', 'glob'])).toEqual({ line: 5, col: 12 });
      expect(find(['run', 'inputs', 'nowhere', 'deeper'])).toEqual({ line: 5, col: 3 });
      expect(find(['absent'])).toEqual({ line: 1, col: 1 });
      expect((await yamlLocator(path.join(dir, 'gone.yaml')))(['run'])).toEqual({ line: 1, col: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
