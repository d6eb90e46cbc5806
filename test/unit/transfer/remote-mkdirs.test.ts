import { describe, expect, it } from 'vitest';
import { makeRemoteDirs } from '../../../src/adapters/transfer/remote-mkdirs.js';

function server(existing: string[]) {
  const dirs = new Set(existing);
  const made: string[] = [];
  return {
    dirs,
    made,
    ops: {
      isDir: async (p: string) => dirs.has(p),
      mkdir: async (p: string) => {
        made.push(p);
        dirs.add(p);
      },
    },
  };
}

describe('makeRemoteDirs', () => {
  it('creates only the missing levels, top down', async () => {
    const s = server(['/home', '/home/ftp']);
    await makeRemoteDirs('/home/ftp/hfc/2014/02', s.ops);
    expect(s.made).toEqual(['/home/ftp/hfc', '/home/ftp/hfc/2014', '/home/ftp/hfc/2014/02']);
  });

  it('asks once when the directory is already there', async () => {
    const s = server(['/a', '/a/b']);
    await makeRemoteDirs('/a/b', s.ops);
    expect(s.made).toEqual([]);
  });

  it('accepts a MKDIR that failed because another connection created the directory meanwhile', async () => {
    const s = server(['/a']);
    await makeRemoteDirs('/a/b/c', {
      isDir: s.ops.isDir,
      mkdir: async (p) => {
        s.dirs.add(p);
        throw new Error('550 Create directory operation failed.');
      },
    });
    expect([...s.dirs]).toEqual(['/a', '/a/b', '/a/b/c']);
  });

  it('fails when the directory really cannot be made', async () => {
    const s = server([]);
    await expect(
      makeRemoteDirs('/x/y', { isDir: s.ops.isDir, mkdir: () => Promise.reject(new Error('550 Permission denied.')) }),
    ).rejects.toThrow('550 Permission denied.');
  });
});
