import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { expect, vi } from 'vitest';

const run = promisify(execFile);
const JOURNALD = '/usr/lib/systemd/systemd-journald';
const NAMESPACE = 'nocturne';

/**
 * perl (Debian's perl-base, always there) connects to journald's stdout socket, writes the
 * stream header, puts the socket on stdout and stderr and execs argv, so the header and
 * every line come from the one pid. SO_PASSCRED on its own socket makes the kernel attach
 * credentials to every write: without it a write made after journald's accept4() and
 * before journald's own SO_PASSCRED carries none, journald reads the header as uid 65534,
 * ignores the unit name, and the records have no _SYSTEMD_UNIT (seen in CI). Node cannot
 * set SO_PASSCRED.
 */
const STREAM_LAUNCHER = `
use Socket;
my ($path, $header) = splice(@ARGV, 0, 2);
socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
setsockopt($s, SOL_SOCKET, SO_PASSCRED, 1) or die "SO_PASSCRED: $!";
connect($s, pack_sockaddr_un($path)) or die "connect $path: $!";
shutdown($s, 0);
syswrite($s, $header) == length($header) or die "header: $!";
my @st = stat($s);
$ENV{JOURNAL_STREAM} = "$st[0]:$st[1]";
open(STDOUT, '>&', $s) or die "stdout: $!";
open(STDERR, '>&', $s) or die "stderr: $!";
exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!";
`;

/**
 * A real systemd-journald (Debian's `systemd` package) with no systemd as PID 1: a
 * journal namespace of its own, run in a mount namespace of its own whose /run/systemd,
 * /run/log and /var/log/journal are empty tmpfs, so the machine's own logging is not
 * touched and everything is gone once it stops. Its sockets are reached through
 * /proc/<pid>/root; journalctl reads its journal from inside the namespace (nsenter).
 */
export class PrivateJournal {
  readonly #journald: ChildProcess;
  readonly #exited: Promise<unknown>;
  #stderr = '';

  private constructor(journald: ChildProcess) {
    this.#journald = journald;
    this.#exited = once(journald, 'exit');
    journald.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  static async start(): Promise<PrivateJournal> {
    const script = [
      'mount -t tmpfs tmpfs /run/systemd',
      'mount -t tmpfs tmpfs /run/log',
      '{ [ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal; }',
      `exec ${JOURNALD} ${NAMESPACE}`,
    ].join(' && ');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const journal = new PrivateJournal(child);
    // vi.waitFor, not expect.poll: this runs in a beforeAll.
    try {
      await vi.waitFor(
        () => {
          if (child.exitCode !== null || !existsSync(journal.#socket)) {
            throw new Error(`systemd-journald did not start (${JOURNALD}; needs root and unshare): ${journal.#stderr}`);
          }
        },
        { timeout: 15_000, interval: 50 },
      );
      // The socket is there before journald reads from it: a first stream can wait
      // unread for longer than a test's patience (seen in CI). Ready once a line sent
      // as another unit is in the journal.
      await journal.#probe();
    } catch (err) {
      await journal.stop();
      throw err;
    }
    return journal;
  }

  async #probe(): Promise<void> {
    const probe = await this.spawn(['printf', 'journald is reading\\n'], 'probe');
    await once(probe, 'exit');
    await vi.waitFor(
      async () => {
        const records = await this.read(['-u', 'probe']);
        if (!records.some((r) => r.MESSAGE === 'journald is reading')) {
          throw new Error(`systemd-journald took no line from a stream within 40 s: ${this.#stderr}`);
        }
      },
      { timeout: 40_000, interval: 100 },
    );
  }

  get #socket(): string {
    return `/proc/${this.#journald.pid}/root/run/systemd/journal.${NAMESPACE}/stdout`;
  }

  /**
   * Runs `argv` the way systemd runs a unit's ExecStart= with StandardOutput=journal:
   * stdout and stderr on one stream to journald, opened with the unit's identifier, the
   * unit name, priority info and SyslogLevelPrefix=yes, and JOURNAL_STREAM set to the
   * stream's device and inode.
   */
  async spawn(argv: string[], unit = 'nocturne'): Promise<ChildProcess> {
    const header = `${unit}\n${unit}.service\n6\n1\n0\n0\n0\n`;
    const child = spawn('perl', ['-e', STREAM_LAUNCHER, this.#socket, header, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
    await once(child, 'spawn');
    return child;
  }

  /** journalctl --namespace=nocturne -o json with `args`, as records. */
  async read(args: string[]): Promise<JournalRecord[]> {
    const { stdout } = await run('nsenter', [
      '-t',
      String(this.#journald.pid),
      '-m',
      'journalctl',
      `--namespace=${NAMESPACE}`,
      '--no-pager',
      '-o',
      'json',
      ...args,
    ]);
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as JournalRecord);
  }

  /**
   * The records of `pid` read with `args`, once one matches `until` (journald reads streams
   * asynchronously). `writer` describes the process that should have written them, for the
   * message of a timeout.
   */
  async until(pid: number, args: string[], until: (message: LogRecord) => boolean, writer?: ChildProcess): Promise<JournalRecord[]> {
    let records: JournalRecord[] = [];
    // On a timeout, what the journal holds for `args` whatever the pid, the journal's last
    // lines whatever the unit, and whether the writer and journald still run, say where it stood.
    const lines = async (selection: string[]) =>
      (await this.read(selection).catch((err: Error) => [{ _PID: 'journalctl', MESSAGE: err.message } as JournalRecord]))
        .map((r) => `${r._PID ?? '?'} ${r._SYSTEMD_UNIT ?? '-'}: ${r.MESSAGE ?? ''}`.slice(0, 200))
        .join('\n') || '(nothing)';
    const state = (child: ChildProcess | undefined, name: string) =>
      child === undefined
        ? ''
        : `${name} pid ${child.pid}: ${child.exitCode === null && child.signalCode === null ? 'running' : `exited (code ${child.exitCode}, signal ${child.signalCode})`}`;
    const holding = async () =>
      [
        await lines(args),
        `the last 20 lines of the journal:\n${await lines(['-n', '20'])}`,
        state(writer, 'writer'),
        state(this.#journald, 'journald'),
        `journald stderr: ${this.#stderr || '(nothing)'}`,
      ].join('\n');
    await expect
      .poll(
        async () => {
          records = await this.read([...args, `_PID=${pid}`]);
          return records.some((r) => {
            try {
              return until(message(r));
            } catch {
              return false; // not a JSON line
            }
          });
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true)
      .catch(async (err: unknown) => {
        throw new Error(`no record of pid ${pid} matched within 20 s; the journal holds, for ${args.join(' ')}:\n${await holding()}`, {
          cause: err,
        });
      });
    return records;
  }

  async stop(): Promise<void> {
    if (this.#journald.exitCode === null && this.#journald.signalCode === null) this.#journald.kill('SIGTERM');
    await this.#exited;
  }
}

export interface JournalRecord {
  MESSAGE: string;
  PRIORITY: string;
  SYSLOG_IDENTIFIER: string;
  _SYSTEMD_UNIT?: string;
  _PID: string;
}

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The JSON line of a record, as `journalctl -o cat | jq` reads it. */
export function message(record: JournalRecord): LogRecord {
  return JSON.parse(record.MESSAGE) as LogRecord;
}
