import {
  close,
  closeSync,
  constants,
  fstat,
  fstatSync,
  lstat,
  lstatSync,
  open,
  openSync,
  read,
  readSync,
  unlink,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The file system calls a stage makes on each file it listed (the upload's reads, checks
 * and deletes, the ingest's reads of small files), of one of two kinds, chosen by the file
 * system the file is on (fileCallsByDirectory):
 * - on a local one, blocking calls. Each call of node:fs's asynchronous API is a round trip
 *   through libuv's thread pool; on the 2-core bench machine those round trips cost more
 *   than the calls (a fifth of the time of 2,000 small files over FTP), while a call on a
 *   local disk lasts microseconds;
 * - on a network file system, or one not known, the asynchronous calls: a mount that hangs
 *   then holds up the stage that reads it, not the whole daemon (its monitor, its
 *   heartbeat, its other stages).
 * Their results are awaited either way.
 */
export interface FileCalls {
  open(file: string, flags: number): number | Promise<number>;
  fstat(fd: number): Stats | Promise<Stats>;
  /** Bytes read into `buffer` at `offset`, from the file at `position`. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number | Promise<number>;
  close(fd: number): void | Promise<void>;
  lstat(file: string): Stats | Promise<Stats>;
  unlink(file: string): void | Promise<void>;
}

/**
 * How a stage opens a file that its listing found to be a regular file: non-blocking, so
 * that a FIFO put in its place since is not waited on for a writer (the descriptor is then
 * checked: notRegularFile), and without following a link, as the listings skip links.
 */
export const OPEN_LISTED_FILE = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY;

export function notRegularFile(file: string): Error {
  return new Error(`local file ${file} is not a regular file`);
}

export const blockingCalls: FileCalls = {
  open: (file, flags) => openSync(file, flags),
  fstat: (fd) => fstatSync(fd),
  read: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  close: (fd) => closeSync(fd),
  lstat: (file) => lstatSync(file),
  unlink: (file) => unlinkSync(file),
};

const readAsync = promisify(read);

export const threadPoolCalls: FileCalls = {
  open: promisify(open),
  fstat: promisify(fstat),
  read: async (fd, buffer, offset, length, position) => (await readAsync(fd, buffer, offset, length, position)).bytesRead,
  close: promisify(close),
  lstat: promisify(lstat),
  unlink: promisify(unlink),
};

/**
 * Local file systems, by statfs(2)'s f_type (linux/magic.h; ZFS's from OpenZFS): ext2/3/4,
 * XFS, Btrfs, tmpfs, ZFS, F2FS, overlayfs (a container's root). NFS, CIFS, Lustre, GPFS,
 * FUSE and the rest are not in it. The type says nothing of the device below: ext4 on
 * iSCSI or RBD is taken as local, and a hang there stalls the daemon.
 */
const LOCAL_FILE_SYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x2fc12fc1, 0xf2f52010, 0x794c7630]);

export function callsForFileSystem(type: number): FileCalls {
  return LOCAL_FILE_SYSTEMS.has(type) ? blockingCalls : threadPoolCalls;
}

/**
 * The calls for a file, by the file system of its directory, asked once per directory.
 * Made for one run, so a file system mounted on a directory between two runs is seen.
 */
export function fileCallsByDirectory(): (file: string) => Promise<FileCalls> {
  const known = new Map<string, Promise<FileCalls>>();
  return (file) => {
    const dir = path.dirname(file);
    let calls = known.get(dir);
    if (calls === undefined) {
      // A directory that cannot be asked gets the calls that cannot stall the daemon; the file's own calls will say what is wrong.
      calls = statfs(dir, { bigint: true }).then(
        // f_type is a C long: on a 32-bit build, a magic of 0x80000000 or more comes back negative.
        (info) => callsForFileSystem(Number(BigInt.asUintN(32, info.type))),
        () => threadPoolCalls,
      );
      known.set(dir, calls);
    }
    return calls;
  };
}
