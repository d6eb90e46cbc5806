import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
}

/** Starts the processes of local tasks and signals them. */
export interface Launcher {
  /** Starts `argv` in a process group of its own, stdout and stderr appended to `logPath`. */
  launch(argv: readonly string[], logPath: string, env: NodeJS.ProcessEnv): LaunchedProcess;
  /** Signals the whole process group led by `pid`; false if it is gone. */
  killGroup(pid: number, signal: NodeJS.Signals): boolean;
}

/** The live processes of the machine: how tasks started by an earlier nocturne are found. */
export interface ProcessTable {
  list(): Promise<Array<{ pid: number; argv: string[] }>>;
}

export const spawnLauncher: Launcher = {
  launch(argv, logPath, env) {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('launch: empty argv');
    const log = openSync(logPath, 'a');
    try {
      // detached: the task leads its own process group, so that it survives a nocturne
      // killed with -9 (and is re-attached) and can be signalled as a whole.
      const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env });
      const exited = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        // Could not start at all (no bash?): the shell's "command not found" status.
        child.once('error', () => resolve({ code: 127, signal: null }));
      });
      child.unref();
      return { pid: child.pid ?? -1, exited };
    } finally {
      closeSync(log);
    }
  },
  killGroup(pid, signal) {
    try {
      process.kill(-pid, signal);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  },
};

/** Linux /proc: argv of every process; zombies have an empty cmdline and are left out. */
export const procTable: ProcessTable = {
  async list() {
    const out: Array<{ pid: number; argv: string[] }> = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline: string;
      try {
        cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      } catch (err) {
        // The process ended while we listed: nothing to report.
        if (['ENOENT', 'ESRCH'].includes((err as NodeJS.ErrnoException).code ?? '')) continue;
        throw err;
      }
      if (cmdline === '') continue;
      out.push({ pid: Number(entry), argv: cmdline.replace(/\0$/, '').split('\0') });
    }
    return out;
  },
};
