/**
 * `mkdir -p` for a remote absolute path, safe when several connections create the same
 * directories at once: a failed MKDIR is fine if the directory exists afterwards.
 */
export async function makeRemoteDirs(
  abs: string,
  ops: { isDir(path: string): Promise<boolean>; mkdir(path: string): Promise<unknown> },
): Promise<void> {
  if (await ops.isDir(abs)) return;
  let current = '';
  for (const part of abs.split('/').filter((p) => p !== '')) {
    current = `${current}/${part}`;
    if (await ops.isDir(current)) continue;
    try {
      await ops.mkdir(current);
    } catch (err) {
      if (!(await ops.isDir(current))) throw err;
    }
  }
}
