import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { Client, FTPContext, FTPError, type FTPResponse, type ResponseHandler } from 'basic-ftp';

/**
 * basic-ftp's context with two changes, so that a transfer that fails keeps the server's
 * word on why. basic-ftp closes the control connection when the data connection fails,
 * and drops a reply that arrives while no command waits; so "452 No space left on device"
 * or "550 Permission denied", which servers send just after they cut the data connection,
 * reached the user as EPIPE, ECONNRESET or "Premature close".
 * - An error of the data connection fails the transfer and leaves the control connection open.
 * - A reply that arrives while no command waits is kept for {@link FtpClient.finalReply}.
 *
 * And one for speed: basic-ftp takes the call stack of every command (`new Error().stack`),
 * only to name it should a second command start while one runs, which a session never
 * does (SerializedSession). On 2,000 small files that was 5–10% of the upload's CPU. The
 * errors keep their messages.
 */
class ReplyKeepingContext extends FTPContext {
  #late: FTPResponse | undefined;

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

/** basic-ftp's Client on a {@link ReplyKeepingContext}. */
export class FtpClient extends Client {
  readonly #context: ReplyKeepingContext;

  constructor(timeoutMs: number) {
    super(timeoutMs);
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
    // Checked before the task starts: basic-ftp's send throws on these, which would leave the task waiting.
    if (commands.some((c) => /[\r\n\0]/.test(c))) throw new Error(`rename ${from} -> ${to}: control character in a path`);
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
    // A closed client has already failed the task.
    if (!this.closed) {
      const socket = this.ftp.socket;
      socket.cork();
      for (const command of commands) this.ftp.send(command);
      socket.uncork();
    }
    return replies;
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
