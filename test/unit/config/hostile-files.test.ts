import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfig } from '../../../src/config/load.js';
import { MAX_CONFIG_BYTES } from '../../../src/config/read-text.js';

const DAEMON = 'database:\n  url: postgres://nocturne@127.0.0.1/nocturne\ntargets:\n  archive: {type: local, path: archive}\n';
const PIPELINE = 'name: eit\ncode: {name: eit, version: "1"}\n';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nocturne-hostile-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let count = 0;
/** A configuration directory holding config/nocturne.yaml and the given pipelines/ entries. */
async function configDir(pipelines: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(root, `c${count++}`);
  await mkdir(path.join(dir, 'config'), { recursive: true });
  await mkdir(path.join(dir, 'pipelines'));
  await writeFile(path.join(dir, 'config', 'nocturne.yaml'), DAEMON);
  for (const [name, content] of Object.entries(pipelines)) await writeFile(path.join(dir, 'pipelines', name), content);
  return dir;
}

/** Every line `validate` would print, with the directory written as <dir>. */
async function reported(dir: string): Promise<string[]> {
  const result = await loadConfig(dir, {});
  const issues = result.ok ? (result.warnings ?? []) : result.issues;
  return issues.map((issue) => formatIssue(issue).replaceAll(dir, '<dir>'));
}

describe('the loader that validate and reload share, on hostile files', () => {
  it('reads regular files only: a FIFO or a directory named *.yaml is refused, never waited on', async () => {
    const dir = await configDir({});
    execFileSync('mkfifo', [path.join(dir, 'pipelines', 'x.yaml')]);
    await mkdir(path.join(dir, 'pipelines', 'y.yaml'));
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/x.yaml:1:1: cannot read: not a regular file (a FIFO)',
      '<dir>/pipelines/y.yaml:1:1: cannot read: not a regular file (a directory)',
    ]);
  });

  it('refuses a file over the size limit with a clear error, before parsing it', async () => {
    const dir = await configDir({ 'eit.yaml': `${PIPELINE}# ${'x'.repeat(MAX_CONFIG_BYTES)}\n` });
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/eit.yaml:1:1: cannot read: 1.0 MiB, over the limit of 1.0 MiB (is it the right file?)',
    ]);
  });

  it('takes linear time: 50,000 keys, a duplicate among them or each one a problem, in a few seconds at most', async () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}\n`).join('');
    // CPU time, not wall time: other processes on a loaded machine must not count.
    const timed = async (dir: string) => {
      const started = process.cpuUsage();
      const lines = await reported(dir);
      const used = process.cpuUsage(started);
      return { lines, ms: (used.user + used.system) / 1000 };
    };
    // Both took quadratic time before: the yaml library's unique-key check (15 s here), then
    // a linear scan of the mapping for each problem located (over a minute).
    const duplicate = await timed(await configDir({ 'eit.yaml': `${PIPELINE}${keys}k7: again\n` }));
    expect(duplicate.lines).toEqual(['<dir>/pipelines/eit.yaml:50003:1: duplicate key "k7"']);
    expect(duplicate.ms).toBeLessThan(8_000);
    const unknown = await timed(await configDir({ 'eit.yaml': `${PIPELINE}${keys}` }));
    expect(unknown.lines).toHaveLength(50_000);
    expect(unknown.lines.at(-1)).toMatch(/^<dir>\/pipelines\/eit\.yaml:50002:1: unknown key "k49999"/);
    expect(unknown.ms).toBeLessThan(8_000);
  }, 300_000);

  it('locates bytes that are not UTF-8 instead of reading them as replacement characters', async () => {
    const latin1 = Buffer.concat([Buffer.from(`${PIPELINE}upload:\n  remoteDir: /hfc/`), Buffer.from([0xe9]), Buffer.from('t\n')]);
    const dir = await configDir({ 'eit.yaml': latin1 });
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/eit.yaml:4:19: byte 0xE9 is not UTF-8 (a file saved as Latin-1 or Windows-1252?): save it as UTF-8',
    ]);
  });

  it('says a UTF-16 file is UTF-16, with or without a byte order mark', async () => {
    const utf16 = (text: string) => Buffer.from(text, 'utf16le');
    const dir = await configDir({
      'bom.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), utf16(PIPELINE)]),
      'eit.yaml': utf16(PIPELINE),
    });
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/bom.yaml:1:1: the file is UTF-16 (it starts with a byte order mark): save it as UTF-8',
      '<dir>/pipelines/eit.yaml:1:2: a NUL byte: the file is not UTF-8 text (UTF-16 without a byte order mark puts one beside every ASCII letter); save it as UTF-8',
    ]);
  });

  it('counts columns on line 1 as the editor does after a UTF-8 byte order mark, refuses classic Mac OS line ends, and says to rename a misnamed file', async () => {
    const dir = await configDir({
      'eit.yaml': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: EIT\ncode: {name: eit, version: "1"}\n')]),
      'mac.yaml': Buffer.from(PIPELINE.replaceAll('\n', '\r')),
      // A stray CR among LF line ends (a comment converted twice) is no reason to refuse a file.
      'stray.yaml': Buffer.from(PIPELINE.replace('\n', '  # comment\r\r\n').replace('eit', 'stray').replace('eit', 'stray')),
      // A file name that is no pipeline name: renaming the file is the only fix.
      'Eit.yaml': PIPELINE,
    });
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/Eit.yaml:1:7: name: pipeline name "eit" differs from its file name "Eit.yaml": rename the file to eit.yaml',
      '<dir>/pipelines/eit.yaml:1:7: name: must be lower-case letters, digits, "-" or "_", starting with a letter',
      '<dir>/pipelines/mac.yaml:1:10: a carriage return without a line feed (classic Mac OS line ends): save the file with LF line ends',
    ]);
  });

  it('says that it skips a hidden file such as ..x.yaml', async () => {
    const dir = await configDir({ '..x.yaml': PIPELINE, '.eit.yml': PIPELINE, '.notes': 'x' });
    expect(await reported(dir)).toEqual([
      '<dir>/pipelines/..x.yaml:1:1: warning: not read: its name starts with "." (a hidden file)',
      '<dir>/pipelines/.eit.yml:1:1: warning: not read: its name starts with "." (a hidden file)',
    ]);
  });
});
