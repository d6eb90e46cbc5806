import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StageOutcome } from '../../../src/stages/types.js';
import type { WorldSpec } from './world.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** The child's outcome, or a rejection with its stderr if it did not print one. */
  outcome: Promise<Pick<StageOutcome, 'ok' | 'stats' | 'summary'>>;
}

/** Starts child.ts: another process running the same pipeline's ingest stage. */
export function spawnIngest(spec: WorldSpec, applicationName: string, runId: number): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(spec), applicationName, String(runId)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const outcome = new Promise<Pick<StageOutcome, 'ok' | 'stats' | 'summary'>>((resolve, reject) => {
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line) as Pick<StageOutcome, 'ok' | 'stats' | 'summary'>);
      else reject(new Error(`ingest child ended with ${signal ?? code}: ${stderr.slice(-2000)}`));
    });
  });
  return { process: child, outcome };
}
