import { NocturneError } from '../core/errors.js';

/**
 * The demo's servers could not start. The message is one sentence saying why and what
 * to do: the demo command prints it alone, without a stack, since this is most often
 * the first thing a newcomer runs.
 */
export class DemoCannotStart extends NocturneError {
  constructor(message: string, cause?: unknown) {
    super('EXEC_FAILED', message, cause === undefined ? {} : { cause });
    this.name = 'DemoCannotStart';
  }
}

export function portTaken(server: string, port: number, cause?: unknown): DemoCannotStart {
  return new DemoCannotStart(
    `the demo's ${server} cannot listen on 127.0.0.1:${port}, which another program already uses ` +
      `(a demo still running?): stop that program and run the demo again`,
    cause,
  );
}
