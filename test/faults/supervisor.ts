/**
 * Keeps one real `nocturne daemon` running, as systemd does: SIGKILLs it on request and
 * starts it again, and restarts it (after a short pause) when it exits by itself. Every
 * exit the suite did not cause is kept, with the end of its log, for the verdict.
 */
import { writeFile } from 'node:fs/promises';
import { DaemonProcess, type LogLine } from '../../harness/daemon-process.js';
import { peakRssBytes } from './memory.js';

export interface UnexpectedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
  /** The process had logged "ready": it was running, not refusing to start. */
  wasReady: boolean;
  tail: string;
}

const RESTART_PAUSE_MS = 500;
/** How long past its shutdown grace a SIGTERMed daemon may take before it is SIGKILLed. */
const STOP_MARGIN_MS = 10_000;

export interface StopResult {
  code: number | null;
  last: LogLine | undefined;
  /** It did not exit within grace + margin and was SIGKILLed. */
  killed: boolean;
}

export class Supervisor {
  readonly unexpected: UnexpectedExit[] = [];
  /** Every process started, oldest first. */
  readonly processes: DaemonProcess[] = [];
  kills = 0;
  /** Kills that found at least one stage run in flight. */
  killsMidStage = 0;
  /** The highest peak RSS of the processes measured (each just before the suite kills or stops it), in bytes. */
  peakRssBytes = 0;
  /** Processes whose peak RSS was read. */
  measured = 0;
  #current: DaemonProcess | null = null;
  #stopping = false;

  constructor(
    readonly configDir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  get current(): DaemonProcess {
    if (!this.#current) throw new Error('no daemon running');
    return this.#current;
  }

  start(): DaemonProcess {
    const daemon = new DaemonProcess(this.configDir, [], this.env);
    this.#current = daemon;
    this.processes.push(daemon);
    void daemon.exited.then(({ code, signal }) => {
      if (this.#current !== daemon || this.#stopping) return;
      const tail = [...daemon.lines.slice(-8).map((l) => JSON.stringify(l)), ...daemon.stderr.slice(-8)].join('\n');
      this.unexpected.push({ code, signal, at: new Date(), wasReady: isReady(daemon), tail });
      setTimeout(() => {
        if (this.#current === daemon && !this.#stopping) this.start();
      }, RESTART_PAUSE_MS);
    });
    return daemon;
  }

  /** kill -9, then a new process at once. A daemon that exited by itself is first given its restart. */
  async kill9(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!this.#current?.running) {
      if (Date.now() > deadline) throw new Error('no daemon to kill: it keeps exiting by itself');
      await new Promise((r) => setTimeout(r, 50));
    }
    const victim = this.#current;
    this.#current = null;
    if (runsInFlight(victim.lines) > 0) this.killsMidStage++;
    this.#measure(victim);
    victim.kill('SIGKILL');
    await victim.exited;
    this.kills++;
    this.start();
  }

  /** Waits until the current daemon (whichever it is by then) logs "ready". */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const daemon = this.#current;
      if (daemon) {
        try {
          await daemon.waitFor((l) => l.msg === 'ready', Math.min(2_000, Math.max(1, deadline - Date.now())), '"ready"');
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      } else if (Date.now() > deadline) throw new Error(`no daemon ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM: the clean stop at the end of the night; SIGKILL if it takes longer than `graceMs` + 10 s. */
  async stop(graceMs: number): Promise<StopResult> {
    this.#stopping = true;
    const daemon = this.#current;
    if (!daemon) return { code: null, last: undefined, killed: false };
    this.#measure(daemon);
    daemon.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs + STOP_MARGIN_MS)));
    const killed = (await Promise.race([daemon.exited, late])) === 'late';
    clearTimeout(timer);
    if (killed) daemon.kill('SIGKILL');
    const { code } = await daemon.exited;
    return { code, last: daemon.lines.at(-1), killed };
  }

  #measure(daemon: DaemonProcess): void {
    const peak = peakRssBytes(daemon.pid);
    if (peak === null) return;
    this.measured++;
    this.peakRssBytes = Math.max(this.peakRssBytes, peak);
  }

  /** Last resort in teardown: nothing of ours may be left running. */
  async abort(): Promise<void> {
    this.#stopping = true;
    const daemon = this.#current;
    if (!daemon) return;
    daemon.kill('SIGKILL');
    await daemon.exited;
  }

  /** Every process's log lines and stderr, one process after another, into `file`. */
  async saveLogs(file: string): Promise<void> {
    const text = this.processes
      .map((p, i) =>
        [`# daemon ${i + 1}, pid ${p.pid}`, ...p.lines.map((l) => JSON.stringify(l)), ...p.stderr.map((l) => `stderr: ${l}`)].join('\n'),
      )
      .join('\n');
    await writeFile(file, `${text}\n`);
  }
}

function isReady(daemon: DaemonProcess): boolean {
  return daemon.lines.some((l) => l.msg === 'ready');
}

/** Runs a daemon's log shows as started and not yet ended. */
function runsInFlight(lines: readonly LogLine[]): number {
  const open = new Set<unknown>();
  for (const l of lines) {
    if (l.msg === 'stage started') open.add(l['runId']);
    else if (l.msg.startsWith('stage succeeded') || l.msg.startsWith('stage failed')) open.delete(l['runId']);
  }
  return open.size;
}
