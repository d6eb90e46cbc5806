import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import picomatch from 'picomatch';
import { fileCallsByDirectory } from '../../../adapters/files/file-calls.js';
import { walkFiles, type PassedOver } from '../../../adapters/files/walk-files.js';
import { withoutTrailingSlash } from '../../../adapters/transfer/remote-paths.js';
import type { RemoteEntry, RemoteSession, RemoteStore } from '../../../adapters/transfer/remote-store.js';
import { coerceError, NocturneError } from '../../../core/errors.js';
import { inBatches, STAT_BATCH } from '../../../core/in-batches.js';
import type { IngestStageConfig, ResolvedTarget } from '../../../config/types.js';
import { chunksOf, IN_MEMORY_BYTES, type FileBody } from './file-body.js';
import { readIntoSlab } from './read-slabs.js';

/** A file offered for ingestion. */
export interface Candidate {
  /** Absolute local path, or full remote path. */
  path: string;
  /** Relative to the source directory, with "/" separators (include globs, quarantine layout). */
  relPath: string;
  sizeBytes: number;
  /**
   * With path and size, lets a run skip a file it has already seen, unread. Known for local,
   * SFTP and FTP sources (MLSD, else MDTM for the files the stage includes); null where an
   * FTP server offers neither (the file is read and its hash decides).
   */
  modifiedAt: Date | null;
}

/** A candidate's bytes, readable locally, with the hash and size of exactly those bytes. */
export interface Fetched {
  body: FileBody;
  sha256: string;
  sizeBytes: number;
  release(): Promise<void>;
}

/** What a source holds: the files offered, and the entries it could not offer (to be said). */
export interface SourceListing {
  candidates: Candidate[];
  passedOver: PassedOver[];
}

export interface IngestSource {
  /** Ledger key of the source: "local:<dir>" or "<target>:<dir>". */
  readonly key: string;
  readonly local: boolean;
  list(): Promise<SourceListing>;
  fetch(candidate: Candidate, signal: AbortSignal): Promise<Fetched>;
  close(): Promise<void>;
}

export type RemoteStoreFactory = (name: string, target: ResolvedTarget) => RemoteStore;

/** A matcher for `include`: patterns without "/" match the base name at any depth. */
function includeMatcher(include: readonly string[]): (relPath: string) => boolean {
  return picomatch([...include], { basename: true });
}

/**
 * Whether an entry passed over concerns this stage: one `include` would take (a link
 * named like an input, a name that cannot be used), or a directory (unreadable, or its
 * name unusable), which may hide inputs. A shared archive's other links (`latest -> 2026/`) are none of its business.
 */
function passedOverMatcher(matches: (relPath: string) => boolean): (entry: PassedOver) => boolean {
  return (entry) => entry.isDirectory || matches(entry.relative);
}

/**
 * A local directory. `exclude` lists directories never offered even when below it:
 * the quarantine and work directories, so a set-aside file is not taken for new input.
 */
export function localSource(dir: string, stage: Pick<IngestStageConfig, 'include'>, exclude: readonly string[] = []): IngestSource {
  const root = path.resolve(dir);
  const matches = includeMatcher(stage.include);
  const concerns = passedOverMatcher(matches);
  const excluded = exclude.map((d) => path.resolve(d) + path.sep);
  // A source serves one run (FileCalls).
  const callsFor = fileCallsByDirectory();
  return {
    key: `local:${root}`,
    local: true,
    async list() {
      const walked = await walkFiles(root, {
        skip: (relative, isDirectory) => isDirectory && excluded.some((d) => (path.join(root, relative) + path.sep).startsWith(d)),
      }).catch((err: NodeJS.ErrnoException) => {
        throw new NocturneError('CONFIG_INVALID', `ingest source ${root} cannot be listed: ${err.message}`, { cause: err });
      });
      const wanted = walked.files.filter(({ relative }) => matches(relative));
      const infos = await inBatches(wanted, STAT_BATCH, (file) =>
        // A file removed since the listing is simply no longer offered.
        lstat(file.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return null;
          throw coerceError(err, 'INTERNAL', `ingest source ${file.path}`);
        }),
      );
      const candidates: Candidate[] = [];
      wanted.forEach((file, i) => {
        const info = infos[i];
        // Symbolic links are not followed (walkFiles): they could lead outside the source directory.
        if (info?.isFile()) candidates.push({ path: file.path, relPath: file.relative, sizeBytes: info.size, modifiedAt: info.mtime });
      });
      return { candidates, passedOver: walked.passedOver.filter(concerns) };
    },
    async fetch(candidate) {
      if (candidate.sizeBytes <= IN_MEMORY_BYTES) {
        // Blocking calls on a local file system: a small read blocks the loop for well under
        // a millisecond, and costs a quarter of the asynchronous round through the threadpool.
        const read = await readIntoSlab(candidate.path, await callsFor(candidate.path));
        const { bytes } = read;
        return { body: { bytes }, sha256: sha256(bytes), sizeBytes: bytes.length, release: async () => read.release() };
      }
      const hash = createHash('sha256');
      let sizeBytes = 0;
      for await (const chunk of chunksOf({ path: candidate.path })) {
        hash.update(chunk);
        sizeBytes += chunk.length;
      }
      return { body: { path: candidate.path }, sha256: hash.digest('hex'), sizeBytes, release: async () => undefined };
    },
    async close() {},
  };
}

/**
 * A target's remote directory. Each file is streamed once into a private directory
 * under paths.work, hashed as it arrives, then parsed from there (a rejected or
 * conflicting file may need a second read) and deleted. Remote files are never
 * changed or deleted: the archive keeps them, and the ledger keeps them from being
 * loaded twice.
 */
export function remoteSource(store: RemoteStore, dir: string, stage: Pick<IngestStageConfig, 'include'>, workDir: string): IngestSource {
  // "/hfc/sdoss/" as "/hfc/sdoss": a trailing slash made every listing fail (an empty segment).
  const root = withoutTrailingSlash(path.posix.normalize(dir));
  const matches = includeMatcher(stage.include);
  const concerns = passedOverMatcher(matches);
  let session: RemoteSession | null = null;
  let scratch: string | null = null;
  let queue: Promise<void> = Promise.resolve();
  const scratchDir = async (): Promise<string> => {
    if (scratch === null) {
      await mkdir(workDir, { recursive: true });
      scratch = await mkdtemp(path.join(workDir, 'download-'));
    }
    return scratch;
  };
  const open = async (signal?: AbortSignal): Promise<RemoteSession> => (session ??= await store.open(signal));
  // Implementations must not be reused after an error: drop the session and start afresh.
  // Its close() may fail too; the error that broke it is the one reported.
  const discard = async (): Promise<void> => {
    const broken = session;
    session = null;
    await broken?.close().catch(() => undefined);
  };
  return {
    key: `${store.name}:${root}`,
    local: false,
    async list() {
      try {
        const remote = await open();
        const { entries, passedOver } = await remote.list(root, true);
        const listed = listedRoot(root, entries);
        const candidates = entries
          .filter((e) => !e.isDirectory)
          .map((e) => ({ path: e.path, relPath: path.posix.relative(listed, e.path), sizeBytes: e.sizeBytes, modifiedAt: e.modifiedAt }))
          .filter((c) => safeRelative(c.relPath) && matches(c.relPath))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        // A round trip per file, far cheaper than the download it saves a file already seen.
        for (const c of candidates) if (c.modifiedAt === null && remote.modifiedAt) c.modifiedAt = await remote.modifiedAt(c.path);
        return { candidates, passedOver: passedOver.filter(concerns) };
      } catch (err) {
        await discard();
        throw err;
      }
    },
    async fetch(candidate, signal) {
      // One session is one connection: downloads take turns (the loads after them need not).
      const turn = queue.then(() => fetchOne(candidate, signal));
      queue = turn.then(
        () => undefined,
        () => undefined,
      );
      return turn;
    },
    async close() {
      await discard();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };

  async function fetchOne(candidate: Candidate, signal: AbortSignal): Promise<Fetched> {
    try {
      const body: Readable = await (await open(signal)).read(candidate.path);
      if (candidate.sizeBytes <= IN_MEMORY_BYTES) {
        const chunks: Buffer[] = [];
        for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
        const bytes = Buffer.concat(chunks);
        return { body: { bytes }, sha256: sha256(bytes), sizeBytes: bytes.length, release: async () => undefined };
      }
      return await download(body, await scratchDir(), candidate, signal);
    } catch (err) {
      await discard();
      throw coerceError(err, 'TRANSFER_FAILED', `${store.name}:${candidate.path}: download for ingestion failed`);
    }
  }
}

/** Streams a large remote file into `dir`, hashing it as it arrives. */
async function download(body: Readable, dir: string, candidate: Candidate, signal: AbortSignal): Promise<Fetched> {
  const file = path.join(dir, `${createHash('sha256').update(candidate.path).digest('hex').slice(0, 16)}.csv`);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  try {
    await pipeline(
      body,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          sizeBytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(file),
      { signal },
    );
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  return { body: { path: file }, sha256: hash.digest('hex'), sizeBytes, release: () => rm(file, { force: true }) };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The directory the entries were listed under, as the server spells it: stores resolve
 * a relative directory against the login directory, so "hfc" may come back as
 * "/home/archive/hfc/...". It is the parent of the shallowest entry.
 */
function listedRoot(root: string, entries: readonly RemoteEntry[]): string {
  const shallowest = entries.reduce<RemoteEntry | undefined>(
    (best, e) => (best === undefined || e.path.split('/').length < best.path.split('/').length ? e : best),
    undefined,
  );
  return shallowest === undefined ? root : path.posix.dirname(shallowest.path);
}

/** A remote name that stays inside the listed directory and holds no control character. */
function safeRelative(relPath: string): boolean {
  // eslint-disable-next-line no-control-regex
  return relPath !== '' && !relPath.split('/').includes('..') && !path.posix.isAbsolute(relPath) && !/[\u0000-\u001f]/.test(relPath);
}
