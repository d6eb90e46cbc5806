import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrivateCheckout {
  /** The mode-700 directory, like /root or a `mktemp -d` directory. */
  home: string;
  /** The checkout inside it, ready to run (node_modules and dist in place). */
  dir: string;
  /** A directory every user can enter, given to the demo as TMPDIR so that a test can see what it leaves. */
  tmp: string;
  remove(): Promise<void>;
}

/**
 * This worktree as a newcomer has it after `git clone` into /root and `npm ci`: the files
 * git knows (committed or not yet), with node_modules and dist hard-linked, which gives
 * the same files at paths inside the private directory in a fraction of a second rather
 * than an install. The private directory is made below var/ (ignored by git), on the
 * filesystem of node_modules, where hard links are possible.
 */
export async function privateCheckout(source: string): Promise<PrivateCheckout> {
  await mkdir(path.join(source, 'var'), { recursive: true });
  const home = await mkdtemp(path.join(source, 'var', 'private-'));
  const dir = path.join(home, 'nocturne');
  const tmp = await mkdtemp(path.join(tmpdir(), 'nocturne-demo-test-'));
  await chmod(tmp, 0o755);
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: source,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await cp(path.join(source, file), path.join(dir, file), { verbatimSymlinks: true }).catch((err: unknown) => {
      // A tracked file deleted in the worktree is not part of the checkout either.
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    });
  }
  await run('cp', ['-al', path.join(source, 'node_modules'), path.join(source, 'dist'), dir]);
  return {
    home,
    dir,
    tmp,
    remove: async () => {
      await rm(home, { recursive: true, force: true });
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
