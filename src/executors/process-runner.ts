import { execFile } from 'node:child_process';
import { NocturneError } from '../core/errors.js';

export interface ProcessResult {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Kills the command (SIGKILL) as soon as it fires: a stop must not wait for a hung client. */
  signal?: AbortSignal;
}

/**
 * Runs a command from an argv array, never through a shell, and returns its outcome. A
 * non-zero exit is a result, not an error: callers read stderr to tell a refusal from a
 * hiccup. Rejects only when the command could not run at all, overran its deadline
 * (TIMEOUT) or was stopped by the signal (ABORTED).
 */
export interface ProcessRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<ProcessResult>;
}

export interface ExecFileRunnerOptions {
  /** Environment of every command (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** @default 60_000 */
  timeoutMs?: number;
}

export function createExecFileRunner(defaults: ExecFileRunnerOptions = {}): ProcessRunner {
  return {
    run(command, args, options = {}) {
      const timeoutMs = options.timeoutMs ?? defaults.timeoutMs ?? 60_000;
      const what = `${command} ${args[0] ?? ''}`.trimEnd();
      if (options.signal?.aborted) return Promise.reject(stopped(what, options.signal));
      return new Promise((resolve, reject) => {
        const signal = options.signal;
        let settled = false;
        const settle = (finish: () => void) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          finish();
        };
        const child = execFile(
          command,
          [...args],
          {
            env: options.env ?? defaults.env ?? process.env,
            timeout: timeoutMs,
            killSignal: 'SIGKILL',
            // `scontrol show job` lists every job of the cluster, about 1 kB each.
            maxBuffer: 256 * 1024 * 1024,
            encoding: 'utf8',
          },
          (error, stdout, stderr) =>
            settle(() => {
              if (!error) return resolve({ code: 0, signal: null, stdout, stderr });
              const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null };
              if (typeof failure.code === 'string') {
                return reject(
                  new NocturneError('EXEC_FAILED', `${command}: cannot run (${failure.code}): ${failure.message}`, {
                    retryable: failure.code !== 'ENOENT' && failure.code !== 'EACCES',
                    cause: error,
                  }),
                );
              }
              if (failure.killed) {
                return reject(new NocturneError('TIMEOUT', `${what}: no answer within ${timeoutMs} ms`, { retryable: true, cause: error }));
              }
              resolve({ code: typeof failure.code === 'number' ? failure.code : null, signal: failure.signal ?? null, stdout, stderr });
            }),
        );
        // A stop settles once the command is gone (reaped), not merely signalled: whoever
        // stops next (the daemon exiting, a test) must not find it still there. 'exit', not
        // the callback's 'close': a grandchild holding its output open must not delay it.
        function onAbort() {
          const gone = () => settle(() => reject(stopped(what, signal!)));
          if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return gone();
          child.once('exit', gone);
          child.kill('SIGKILL');
        }
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

function stopped(what: string, signal: AbortSignal): NocturneError {
  return new NocturneError('ABORTED', `${what}: stopped (${String(signal.reason ?? 'stop requested')})`, { cause: signal.reason });
}
