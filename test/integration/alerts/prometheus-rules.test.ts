import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AlertMetrics } from '../../../src/daemon/alert-metrics.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { createLogger } from '../../../src/log/logger.js';
import { promtool } from '../../helpers/mail-rig.js';
import { REPO } from '../../../harness/daemon-process.js';

const run = promisify(execFile);
const MONITORING = path.join(REPO, 'monitoring');

/** promtool's exit code and output; never throws on a non-zero exit. */
async function tool(...args: string[]): Promise<{ code: number; out: string }> {
  return toolWithInput(undefined, ...args);
}

/** The same, `input` on its standard input. */
async function toolWithInput(input: string | undefined, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const running = run(promtool(), args, { cwd: MONITORING });
    running.child.stdin?.end(input);
    const { stdout, stderr } = await running;
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The daemon's metrics with alerting's, scraped from a daemon with no history. */
function daemonMetrics(): DaemonMetrics {
  const logger = createLogger({ level: 'silent' });
  const extension = new AlertMetrics(
    {
      config: () => {
        throw new Error('not scraped');
      },
      db: () => {
        throw new Error('not scraped');
      },
    },
    logger,
  );
  return new DaemonMetrics({ version: '0', summary: async () => new Map(), pending: async () => [], extensions: [extension] }, logger);
}

describe('the Prometheus rules of monitoring/ (promtool from the rig)', () => {
  it('pass promtool check rules', async () => {
    const { code, out } = await tool('check', 'rules', 'nocturne-rules.yml');
    expect(out).toContain('SUCCESS: 10 rules found');
    expect(code).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const { code, out } = await tool('test', 'rules', 'nocturne-rules.test.yml');
    expect(out).toContain('SUCCESS');
    expect(code, out).toBe(0);
  });

  it('use only metrics the daemon exports', async () => {
    const rules = await readFile(path.join(MONITORING, 'nocturne-rules.yml'), 'utf8');
    const used = new Set([...rules.matchAll(/\bnocturne_[a-z_]+/g)].map((m) => m[0]));
    const exported = new Set((await daemonMetrics().registry()).getMetricsAsArray().map((m) => m.name));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(8);
  });

  it("scrape clean of promtool check metrics's lint", async () => {
    // Every series named, as a scrape has them (the registry's own text: nothing here to refresh from).
    const { code, out } = await toolWithInput(await (await daemonMetrics().registry()).metrics(), 'check', 'metrics');
    expect([code, out]).toEqual([0, '']);
  });
});
