import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReloadResult } from '../../../src/http/router.js';
import { installProcessHandlers } from '../../../src/daemon/signals.js';
import { captureLogger } from '../scheduling/harness.js';

/** A process stand-in: signals are emitted by the test, exit() is recorded. */
function fakeProcess() {
  const proc = Object.assign(new EventEmitter(), { exits: [] as number[], exit: (code: number) => void proc.exits.push(code) });
  return proc;
}

function setup(stopMs = 0, safety = { ms: 5_000 }) {
  const proc = fakeProcess();
  const { logger, lines } = captureLogger();
  const calls: string[] = [];
  const daemon = {
    stop: async (reason: string) => {
      calls.push(`stop ${reason}`);
      await new Promise((r) => setTimeout(r, stopMs));
      return 0;
    },
    reload: async (): Promise<ReloadResult> => {
      calls.push('reload');
      return { ok: true, added: [], removed: [], changed: [], restartNeeded: [] };
    },
  };
  const uninstall = installProcessHandlers({ daemon, logger, safetyMs: () => safety.ms, proc });
  return { proc, lines, calls, uninstall };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('process handlers', () => {
  it('SIGTERM stops the daemon; a second stop signal exits at once with 1', async () => {
    const { proc, calls } = setup();
    proc.emit('SIGTERM');
    expect(calls).toEqual(['stop signal SIGTERM']);
    expect(proc.exits).toEqual([]);
    proc.emit('SIGINT');
    expect(proc.exits).toEqual([1]);
    expect(calls).toEqual(['stop signal SIGTERM']);
  });

  it('exits with 1 when a stop outlasts the safety timer', () => {
    vi.useFakeTimers();
    const { proc, lines } = setup(60_000);
    proc.emit('SIGTERM');
    vi.advanceTimersByTime(4_999);
    expect(proc.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(proc.exits).toEqual([1]);
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown took too long: exiting', level: 60 });
  });

  it('takes the safety bound of the configuration running at the signal (shutdown.grace reloaded since the start)', () => {
    vi.useFakeTimers();
    const safety = { ms: 5_000 };
    const { proc } = setup(60_000, safety);
    safety.ms = 20_000;
    proc.emit('SIGTERM');
    vi.advanceTimersByTime(19_999);
    expect(proc.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(proc.exits).toEqual([1]);
  });

  it('SIGHUP reloads', async () => {
    const { proc, calls } = setup();
    proc.emit('SIGHUP');
    expect(calls).toEqual(['reload']);
  });

  it('an uncaught exception or unhandled rejection is logged as fatal and exits 70', () => {
    const { proc, lines } = setup();
    proc.emit('uncaughtException', new TypeError('x is undefined'));
    proc.emit('unhandledRejection', 'no reason');
    expect(proc.exits).toEqual([70, 70]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [60, 'fatal: uncaught exception'],
      [60, 'fatal: unhandled promise rejection'],
    ]);
  });

  it('removes every handler it installed', () => {
    const { proc, uninstall } = setup();
    uninstall();
    expect(proc.eventNames()).toEqual([]);
  });
});
