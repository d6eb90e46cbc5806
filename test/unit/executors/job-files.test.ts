import { describe, expect, it } from 'vitest';
import {
  encodeTaskArgv,
  exitMarkerPath,
  jobEnvironment,
  parseExitMarker,
  taskDir,
  taskLogPath,
  taskOutDir,
} from '../../../src/executors/job-files.js';
import { bashQuote, renderWrapperScript, toBashPattern } from '../../../src/executors/wrapper-script.js';

describe('job files', () => {
  it('lays out a job directory: each task has its own directory, {outdir} inside it, away from the outbox', () => {
    expect(exitMarkerPath('/w/tok', 3)).toBe('/w/tok/task-3.exit');
    expect(taskDir('/w/tok', 3)).toBe('/w/tok/task-3');
    expect(taskOutDir('/w/tok', 3)).toBe('/w/tok/task-3/out');
    expect(taskLogPath('/l/noc.%a.log', 7)).toBe('/l/noc.7.log');
  });

  it('encodes a task argv NUL-separated, refusing NUL inside a value', () => {
    expect(encodeTaskArgv('obs 1', 2, ['/bin/x', "it's; rm -rf /"])).toBe("obs 1\u00002\u0000/bin/x\u0000it's; rm -rf /\u0000");
    expect(() => encodeTaskArgv('o', 1, ['a\u0000b'])).toThrow(/NUL/);
  });

  it('parses exit markers: outputs left in the task directory, and the files that are no outputs', () => {
    expect(parseExitMarker('rc=0\nv=2\nquicklook=a.jpg\ncsv=a_feat.csv\nleft=out/sub/b.csv\nleft=x.csv\n', 'm')).toEqual({
      rc: 0,
      outputsIn: 'task',
      csv: ['a_feat.csv'],
      quicklooks: ['a.jpg'],
      left: ['out/sub/b.csv', 'x.csv'],
      links: [],
      notUtf8: [],
    });
    // Named like outputs, not taken: a symbolic link, a name that is not UTF-8, a dot name (an earlier script listed one).
    const bytes = Buffer.concat([
      Buffer.from('rc=0\nv=2\nlink=l.csv\ncsv=caf'),
      Buffer.from([0xe9]),
      Buffer.from('.csv\ncsv=.d.csv\ncsv=ok.csv\n'),
    ]);
    expect(parseExitMarker(bytes, 'm')).toMatchObject({
      csv: ['ok.csv'],
      links: ['l.csv'],
      notUtf8: ['caf\uFFFD.csv'],
      left: ['out/l.csv', 'out/caf\uFFFD.csv', 'out/.d.csv'],
    });
    // Written by the script of an earlier nocturne, which published the outputs itself.
    expect(parseExitMarker('rc=0\nquicklook=a.jpg\ncsv=a_feat.csv\n', 'm')).toMatchObject({ outputsIn: 'outbox', csv: ['a_feat.csv'] });
    expect(() => parseExitMarker('csv=a.csv\n', 'task-1.exit')).toThrow(/task-1.exit: exit marker has no rc= line/);
    expect(() => parseExitMarker('rc=0\nweird\n', 'm')).toThrow(/unexpected line/);
  });

  it('hands a job only a few harmless environment variables', () => {
    expect(jobEnvironment({ PATH: '/bin', HOME: '/root', PGPASSWORD: 'x', NOCTURNE_FTP_PASSWORD: 'y' })).toEqual({
      PATH: '/bin',
      HOME: '/root',
    });
  });
});

describe('the generated batch script', () => {
  it('turns file-name globs into bash patterns', () => {
    expect(toBashPattern('*_feat.csv')).toBe('*_feat.csv');
    expect(toBashPattern('*.{jpg,png}')).toBe('*.@(jpg|png)');
    expect(() => toBashPattern('sub/*.csv')).toThrow(/without "\/"/);
    expect(() => toBashPattern('*.{jpg')).toThrow(/unclosed/);
  });

  it('quotes every configured value so that nothing expands', () => {
    expect(bashQuote("a'b $(x)")).toBe("'a'\\''b $(x)'");
    const script = renderWrapperScript({ pipeline: 'sdoss', jobName: 'noc-sdoss-tok', csvGlob: "*'s.csv", quicklookGlob: '*.{jpg,png}' });
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain("csv_pattern='*'\\''s.csv'");
    expect(script).toContain("quicklook_pattern='*.@(jpg|png)'");
    expect(script).toContain('outdir="$task_dir/out"');
    // It moves nothing anywhere: nocturne publishes what it has checked.
    expect(script).not.toMatch(/\bmv -f -- "\$file"|outbox=/);
    // Observation values only ever come from the argv file, never from the script text.
    expect(script).toContain(`mapfile -d '' -t spec < "$job_dir/task-$task.argv"`);
  });
});
