/** Stand-ins for processes, for unit tests of argument building and output parsing. */
import type { ProcessResult, ProcessRunner } from '../../../src/executors/process-runner.js';
import type { ExitStatus, Launcher, ProcessTable } from '../../../src/executors/local/processes.js';
import type { TrackedJob } from '../../../src/executors/types.js';
import { createLogger } from '../../../src/log/logger.js';

export const silent = createLogger({ level: 'silent', pretty: false });

export interface Call {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv | undefined;
}

/** Answers each command from `reply`, and remembers every call. */
export function fakeRunner(reply: (call: Call) => Partial<ProcessResult>): ProcessRunner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(command, args, options) {
      const call = { command, args, env: options?.env };
      calls.push(call);
      return { code: 0, signal: null, stdout: '', stderr: '', ...reply(call) };
    },
  };
}

export function trackedJob(name: string, over: Partial<TrackedJob> = {}): TrackedJob {
  const taskCount = over.taskCount ?? 2;
  const base = { name, schedulerId: null, jobDir: `/work/${name}`, isArray: true, taskCount, createdAt: new Date('2026-11-20T10:00:00Z') };
  return { ...base, live: Array.from({ length: taskCount }, (_, i) => i), ...over };
}

/** A launcher whose children end when the test says so. */
export function fakeLauncher(): Launcher & {
  launched: Array<{ argv: readonly string[]; logPath: string; pid: number; exit(status: ExitStatus): void }>;
  killed: Array<[number, string]>;
} {
  const launched: Array<{ argv: readonly string[]; logPath: string; pid: number; exit(status: ExitStatus): void }> = [];
  const killed: Array<[number, string]> = [];
  let pid = 1000;
  return {
    launched,
    killed,
    launch(argv, logPath) {
      let exit!: (s: ExitStatus) => void;
      const exited = new Promise<ExitStatus>((resolve) => (exit = resolve));
      const child = { argv, logPath, pid: ++pid, exit };
      launched.push(child);
      return { pid: child.pid, exited };
    },
    killGroup(target, signal) {
      killed.push([target, signal]);
      launched.find((c) => c.pid === target)?.exit({ code: null, signal });
      return true;
    },
  };
}

export function fakeTable(processes: Array<{ pid: number; argv: string[] }> = []): ProcessTable {
  return { list: async () => processes };
}
