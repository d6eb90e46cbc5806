import { NocturneError } from '../../../src/core/errors.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import type { RunState } from '../../../src/runs/runs.js';
import type { ExecuteRequest, ExecuteResult } from '../../../src/stages/execute.js';
import type { LastSlot, SkippedSlot, SlotLedger } from '../../../src/scheduling/slot-ledger.js';
import type { FakeTime } from './fake-time.js';

export interface FakeRun {
  id: number;
  pipeline: string;
  stage: string;
  slot: Date;
  trigger: string;
  state: RunState;
  attempt: number;
  error?: string;
}

/** What a fake stage does for one execution: how long it takes and how it ends. */
export interface Behaviour {
  durationMs: number;
  result: 'ok' | 'retryable' | 'permanent';
}

/**
 * The `runs` table and executeStage in memory, with beginRun's rules: one run per
 * (pipeline, stage, slot), one live run per (pipeline, stage), interrupted slots taken
 * over as the next attempt. Stages "work" by sleeping on the fake time.
 */
export class FakeRuns implements SlotLedger {
  readonly rows: FakeRun[] = [];
  /** Every execution asked for, including those that found the slot taken. */
  readonly calls: (ExecuteRequest & { at: Date })[] = [];
  behaviour: (req: ExecuteRequest, attempt: number) => Behaviour = () => ({ durationMs: 60_000, result: 'ok' });

  constructor(readonly time: FakeTime) {}

  execute = async (_config: NocturneConfig, req: ExecuteRequest, signal: AbortSignal): Promise<ExecuteResult> => {
    this.calls.push({ ...req, at: this.time.clock.now() });
    const same = (r: FakeRun) => r.pipeline === req.pipeline && r.stage === req.stage;
    const live = this.rows.find((r) => same(r) && r.state === 'running');
    if (live) return { kind: 'not-run', reason: `run ${live.id} is still in progress` };
    let row = this.rows.find((r) => same(r) && r.slot.getTime() === req.slot.getTime());
    if (row && row.state !== 'interrupted') return { kind: 'not-run', reason: `slot already has run ${row.id}` };
    if (row) Object.assign(row, { state: 'running', attempt: row.attempt + 1, trigger: req.trigger });
    else {
      row = {
        id: this.rows.length + 1,
        pipeline: req.pipeline,
        stage: req.stage,
        slot: req.slot,
        trigger: req.trigger,
        state: 'running',
        attempt: 1,
      };
      this.rows.push(row);
    }
    const { durationMs, result } = this.behaviour(req, row.attempt);
    try {
      await this.time.sleep(durationMs, signal);
    } catch {
      row.state = 'interrupted';
      const error = new NocturneError('ABORTED', 'stopped');
      return { kind: 'done', runId: row.id, outcome: { ok: false, stats: {}, summary: 'stopped', error } };
    }
    if (result === 'ok') {
      row.state = 'succeeded';
      return { kind: 'done', runId: row.id, outcome: { ok: true, stats: { files: 2 }, summary: 'ok' } };
    }
    row.state = 'failed';
    const error = new NocturneError('TRANSFER_FAILED', 'archive unreachable', { retryable: result === 'retryable' });
    return { kind: 'done', runId: row.id, outcome: { ok: false, stats: {}, summary: error.message, error } };
  };

  /** A row as left by an earlier daemon. */
  seed(row: Omit<FakeRun, 'id' | 'attempt' | 'trigger'> & { trigger?: string }): void {
    this.rows.push({ trigger: 'schedule', attempt: 1, ...row, id: this.rows.length + 1 });
  }

  /** "pipeline/stage slot trigger state" per row, oldest slot first. */
  table(): string[] {
    return [...this.rows]
      .sort((a, b) => a.slot.getTime() - b.slot.getTime() || a.stage.localeCompare(b.stage))
      .map((r) => `${r.pipeline}/${r.stage} ${r.slot.toISOString()} ${r.trigger} ${r.state}${r.attempt > 1 ? ` #${r.attempt}` : ''}`);
  }

  async lastSlots(): Promise<Map<string, LastSlot>> {
    const last = new Map<string, LastSlot>();
    for (const r of this.rows) {
      if (r.trigger === 'manual') continue;
      const key = `${r.pipeline}/${r.stage}`;
      const seen = last.get(key);
      if (!seen || seen.slot < r.slot) last.set(key, { slot: r.slot, state: r.state });
    }
    return last;
  }

  async slotState(pipeline: string, stage: string, slot: Date): Promise<RunState | null> {
    return this.rows.find((r) => r.pipeline === pipeline && r.stage === stage && r.slot.getTime() === slot.getTime())?.state ?? null;
  }

  async recordSkipped(skip: SkippedSlot): Promise<boolean> {
    if (await this.slotState(skip.pipeline, skip.stage, skip.slot)) return false;
    this.seed({ ...skip, state: 'skipped', error: skip.reason });
    return true;
  }

  async reopenForRetry(runId: number): Promise<boolean> {
    const row = this.rows.find((r) => r.id === runId && r.state === 'failed');
    if (row) row.state = 'interrupted';
    return row !== undefined;
  }
}
