import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Writable } from 'node:stream';
import { Client, enterPassiveModeIPv6, FTPContext, FTPError, type FTPResponse, type ResponseHandler } from 'basic-ftp';
// Not re-exported by basic-ftp's index: its passive-mode connection (TLS session reuse included), for EPSV sent
// with STOR. basic-ftp is pinned (package.json): an upgrade must check this import and the
// prepareTransfer === enterPassiveModeIPv6 test in storeBytes still hold.
import { connectForPassiveTransfer, parseEpsvResponse } from 'basic-ftp/dist/transfer.js';

/** Writes of an in-memory upload (FtpClient.storeBytes): each one's completion counts as progress. */
const SLICE_BYTES = 256 * 1024;

/**
 * basic-ftp's context with two changes, so that a transfer that fails keeps the server's
 * word on why. basic-ftp closes the control connection when the data connection fails,
 * and drops a reply that arrives while no command waits; so "452 No space left on device"
 * or "550 Permission denied", which servers send just after they cut the data connection,
 * reached the user as EPIPE, ECONNRESET or "Premature close".
 * - An error of the data connection fails the transfer and leaves the control connection open.
 * - A reply that arrives while no command waits is kept for {@link FtpClient.finalReply}.
 *
 * One for storeBytes: the TLS handshake of each data connection is watched from its start.
 *
 * And one for speed: basic-ftp takes the call stack of every command (`new Error().stack`),
 * only to name it should a second command start while one runs, which a session never
 * does (SerializedSession). On 2,000 small files that was 5–10% of the upload's CPU. The
 * errors keep their messages.
 */
class ReplyKeepingContext extends FTPContext {
  #late: FTPResponse | undefined;
  /** TLS data connections whose handshake is done. */
  readonly #secured = new WeakSet<Socket>();

  override get dataSocket(): Socket | TLSSocket | undefined {
    return super.dataSocket;
  }

  /**
   * Watched from when basic-ftp's passive mode makes it, before its handshake can have
   * ended. basic-ftp's own test, getCipher(), does not tell: a socket that offers a
   * session for reuse (every FTPS data connection) names that session's cipher at once.
   */
  override set dataSocket(socket: Socket | TLSSocket | undefined) {
    if (socket instanceof TLSSocket) socket.once('secureConnect', () => this.#secured.add(socket));
    super.dataSocket = socket;
  }

  /** Whether a data connection can take bytes and an end: it has no TLS, or its handshake is done. */
  handshakeDone(socket: Socket): boolean {
    return !(socket instanceof TLSSocket) || this.#secured.has(socket);
  }

  /** The reply that arrived while no command waited, once. */
  takeLateReply(): FTPResponse | undefined {
    const late = this.#late;
    this.#late = undefined;
    return late;
  }

  override handle(command: string | undefined, responseHandler: ResponseHandler): Promise<unknown> {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return super.handle(command, responseHandler);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  protected override _setupDefaultErrorHandlers(socket: Socket, identifier: string): void {
    if (identifier !== 'data socket') {
      super._setupDefaultErrorHandlers(socket, identifier);
      return;
    }
    // To the running transfer only (its stream pipeline sees the error too).
    socket.on('error', (error) => this._passToHandler(error));
    socket.once('timeout', () => {
      socket.destroy();
      this.closeWithError(new Error('Timeout (data socket)'));
    });
  }

  protected override _passToHandler(response: Error | FTPResponse): void {
    const isReply = response instanceof FTPError || !(response instanceof Error);
    if (this._task === undefined && isReply) {
      this.#late = response instanceof FTPError ? { code: response.code, message: response.message } : response;
      return;
    }
    super._passToHandler(response);
  }
}

/** What a server was found to take, kept across its sessions (FtpStore). */
export interface ServerHabits {
  /** EPSV and STOR in one write: false once the server answered such a STOR before the data connection was open. */
  epsvWithStor: boolean;
}

/** basic-ftp's Client on a {@link ReplyKeepingContext}. */
export class FtpClient extends Client {
  readonly #context: ReplyKeepingContext;
  readonly #habits: ServerHabits;

  constructor(timeoutMs: number, habits: ServerHabits = { epsvWithStor: true }) {
    super(timeoutMs);
    this.#habits = habits;
    this.#context = new ReplyKeepingContext(timeoutMs);
    // basic-ftp makes its context in its constructor and takes none from outside.
    (this as { ftp: FTPContext }).ftp = this.#context;
  }

  /**
   * RNFR and RNTO in one write: one round trip instead of two. A server reads commands in
   * order and answers each (RFC 959); when RNFR fails, RNTO is refused ("503 RNFR required
   * first") and nothing is renamed, so the first failure is the one reported.
   */
  async renameAtOnce(from: string, to: string): Promise<FTPResponse> {
    const commands = [`RNFR ${from}`, `RNTO ${to}`];
    checkCommands(commands, `rename ${from} -> ${to}`);
    let first: FTPResponse | FTPError | undefined;
    const replies = this.ftp
      .handle(undefined, (res, task) => {
        if (res instanceof Error && !(res instanceof FTPError)) task.reject(res);
        else if (first === undefined) first = res;
        else if (first instanceof FTPError) task.reject(first);
        else if (res instanceof FTPError) task.reject(res);
        else task.resolve(res);
      })
      .then((res: FTPResponse) => res);
    this.#sendAtOnce(commands);
    return replies;
  }

  /** Commands in one write, for a task already waiting for their replies (a closed client has already failed it). */
  #sendAtOnce(commands: string[]): void {
    if (this.closed) return;
    const socket = this.ftp.socket;
    socket.cork();
    for (const command of commands) this.ftp.send(command);
    socket.uncork();
  }

  /**
   * STOR of bytes held in memory (a small file, read at once), with basic-ftp's choice
   * of passive mode and its TLS data connections, but without what its uploadFrom sets
   * up for a stream: a pipeline, a progress poll and a stall watchdog per file. Settles
   * once the server confirmed the transfer and the data connection wrote every byte;
   * fails with the server's reply (FTPError) or the data connection's error, as
   * uploadFrom does. `onProgress` is called as each slice is written.
   *
   * Once the session's first transfer found that the server takes EPSV, EPSV and STOR go
   * in one write: each command written costs the client and the server a system call and
   * a wake-up, and the pair one round trip less. The server answers EPSV, then waits for
   * the data connection that its answer lets us open, then answers STOR. A server that
   * answers such a STOR with 425 (no data connection yet) fails that file, and is sent
   * EPSV and STOR apart from then on.
   */
  async storeBytes(remotePath: string, bytes: Uint8Array, onProgress: () => void): Promise<FTPResponse> {
    const store = `STOR ${remotePath}`;
    checkCommands([store], store);
    const pipelined = this.#habits.epsvWithStor && this.prepareTransfer === enterPassiveModeIPv6;
    if (!pipelined) await this.prepareTransfer(this.ftp);
    const control = this.ftp.socket;
    let data = pipelined ? undefined : this.ftp.dataSocket;
    if (!pipelined && data === undefined) throw new Error(`${store}: no data connection after passive mode`);
    let awaitingEpsv = pipelined;
    let refusedEpsv: FTPError | undefined;
    let settled = false;
    let accepted = false;
    let started = false;
    let written = false;
    // Settles the task with the server's confirmation, once the data connection wrote every byte.
    let confirm: (() => void) | undefined;
    const settle = () => {
      settled = true;
      control.setTimeout(this.ftp.timeout);
      this.ftp.dataSocket = undefined;
    };
    // Called at 150 and at the end of the data connection's TLS handshake: the bytes go
    // once both are there, and only once, as a second 150 would send them twice.
    //
    // Except that over TLS an empty file's end is made in the very step that ends the
    // handshake, without waiting for 150 (a server takes the handshake of a data
    // connection only for a transfer it accepted). Node writes the client's Finished
    // after that step, and an end made while that write still completes (later in the same
    // turn of the event loop, as when 150 arrives just after the handshake) shuts the
    // connection without its close_notify: the server takes the upload for cut and fails it
    // (proftpd with a decode_error alert). Made in the handshake's step, the close_notify
    // goes out with the Finished. With bytes, the end waits for their writes: no such race.
    const send = () => {
      if (settled || data === undefined || started || !this.#context.handshakeDone(data)) return;
      if (!accepted && !(bytes.length === 0 && data instanceof TLSSocket)) return;
      started = true;
      const socket = data;
      // The control connection is silent while the bytes go: the data connection's idle
      // timeout watches them instead, reset by every slice written.
      control.setTimeout(0);
      socket.setTimeout(this.ftp.timeout);
      for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
        socket.write(bytes.subarray(at, at + SLICE_BYTES), (err) => {
          if (!err) onProgress();
        });
      }
      socket.end((err?: Error | null) => {
        if (err) return; // the data connection's error reaches the handler
        written = true;
        // Every byte is written: the server's reply is awaited on the control connection, under its timeout.
        control.setTimeout(this.ftp.timeout);
        confirm?.();
      });
    };
    const watch = (socket: Socket) => {
      if (!this.#context.handshakeDone(socket)) socket.once('secureConnect', send);
    };
    if (data !== undefined) watch(data);
    const stored = this.ftp.handle(pipelined ? undefined : store, (res, task) => {
      if (awaitingEpsv) {
        awaitingEpsv = false;
        if (res instanceof FTPError) {
          // STOR, already sent, is refused in turn: its reply ends the task.
          refusedEpsv = res;
          return;
        }
        if (!(res instanceof Error)) {
          const opened = this.#openDataConnection(res.message);
          opened.then(
            (socket) => {
              if (!settled) {
                data = socket;
                watch(socket);
                send();
              } else if (this.ftp.dataSocket === socket) {
                // STOR was answered meanwhile: the context's setter closes the connection.
                this.ftp.dataSocket = undefined;
              } else {
                socket.destroy();
              }
            },
            (err: unknown) => {
              // Once STOR was answered (refused), the server waits for no connection: the session goes on.
              if (!settled) this.ftp.closeWithError(err instanceof Error ? err : new Error(String(err)));
            },
          );
          return;
        }
      }
      if (res instanceof Error) {
        if (pipelined && refusedEpsv === undefined && res instanceof FTPError && res.code === 425) this.#habits.epsvWithStor = false;
        settle();
        task.reject(refusedEpsv ?? res);
      } else if (refusedEpsv !== undefined) {
        this.ftp.closeWithError(new Error(`${store}: accepted (${res.code}) after EPSV was refused: ${refusedEpsv.message}`));
      } else if ((res.code === 150 || res.code === 125) && !accepted) {
        accepted = true;
        send();
      } else if (res.code >= 200 && res.code < 300) {
        confirm = () => {
          settle();
          task.resolve(res);
        };
        if (written) confirm();
      } else if (res.code >= 300 && res.code < 400) {
        this.ftp.closeWithError(new Error(`${store}: unexpected reply ${res.code} ${res.message}`));
      }
    }) as Promise<FTPResponse>;
    if (pipelined) this.#sendAtOnce(['EPSV', store]);
    return stored;
  }

  /** The data connection an EPSV reply names, on the control connection's host (basic-ftp's passive mode, TLS included). */
  async #openDataConnection(epsvReply: string): Promise<Writable & Socket> {
    const port = parseEpsvResponse(epsvReply);
    const host = this.ftp.socket.remoteAddress;
    if (host === undefined) throw new Error('the control connection closed before the data connection opened');
    await connectForPassiveTransfer(host, port, this.ftp);
    const socket = this.ftp.dataSocket;
    if (socket === undefined) throw new Error(`no data connection after EPSV (${epsvReply})`);
    return socket;
  }

  /** The data connection of the transfer under way, if any. */
  get dataSocket(): Writable | undefined {
    return this.ftp.dataSocket;
  }

  /** Forgets a reply left over from an earlier command, before a transfer starts. */
  forgetLateReply(): void {
    this.#context.takeLateReply();
  }

  /**
   * The server's reply to a transfer that failed on the data connection: the one that
   * came meanwhile, else the next one (within the client's timeout). Null when the
   * control connection is gone as well.
   */
  async finalReply(): Promise<FTPResponse | null> {
    const late = this.#context.takeLateReply();
    if (late !== undefined) return late;
    if (this.closed) return null;
    return this.ftp
      .handle(undefined, (res, task) => {
        if (res instanceof FTPError) task.resolve({ code: res.code, message: res.message });
        else if (res instanceof Error) task.reject(res);
        else task.resolve(res);
      })
      .then(
        (res: FTPResponse) => res,
        () => null,
      );
  }
}

/** Checked before a task starts: basic-ftp's send throws on these, which would leave the task waiting. */
function checkCommands(commands: string[], what: string): void {
  if (commands.some((c) => /[\r\n\0]/.test(c))) throw new Error(`${what}: control character in a path`);
}
