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
}

/**
 * Runs a command from an argv array, never through a shell, and returns its outcome. A
 * non-zero exit is a result, not an error: callers read stderr to tell a refusal from a
 * hiccup. Rejects only when the command could not run at all or overran its deadline.
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
      return new Promise((resolve, reject) => {
        execFile(
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
          (error, stdout, stderr) => {
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
              return reject(
                new NocturneError('TIMEOUT', `${command} ${args[0] ?? ''}: no answer within ${timeoutMs} ms`, {
                  retryable: true,
                  cause: error,
                }),
              );
            }
            resolve({ code: typeof failure.code === 'number' ? failure.code : null, signal: failure.signal ?? null, stdout, stderr });
          },
        );
      });
    },
  };
}
