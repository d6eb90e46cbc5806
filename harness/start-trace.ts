/**
 * The modules a daemon has loaded once it is ready, for the start-path test and
 * bench/daemon.ts: each ESM module it resolved (a resolution hook), each CommonJS file
 * it required and each of Node's own modules, the last two read when the test sends
 * SIGUSR2 (which the daemon itself does not use) after "ready".
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DaemonProcess } from './daemon-process.js';

export interface LoadedModules {
  /** URLs of the ESM modules resolved (node: ones included). */
  esm: string[];
  /** Paths of the CommonJS files required (packages such as pg or yaml). */
  cjs: string[];
  /** Node's own modules (process.moduleLoadList), e.g. "NativeModule internal/deps/undici/undici". */
  builtins: string[];
  /** The packages of node_modules among esm and cjs. */
  packages: string[];
}

/**
 * Node options that record every ESM module a process resolves into workDir, and the
 * reader of that record: for a command that exits, which cannot be asked with SIGUSR2.
 */
export async function esmTracer(workDir: string): Promise<{ nodeArgs: string[]; resolved: () => Promise<string[]> }> {
  const resolved = path.join(workDir, 'esm-resolved.txt');
  const hooks = path.join(workDir, 'trace-hooks.mjs');
  const preload = path.join(workDir, 'trace-register.mjs');
  await writeFile(resolved, '');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';\n` +
      `export async function resolve(s, c, next) {\n` +
      `  const r = await next(s, c); appendFileSync(${JSON.stringify(resolved)}, r.url + '\\n'); return r;\n}\n`,
  );
  await writeFile(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return {
    nodeArgs: ['--import', preload],
    resolved: async () => [...new Set((await readFile(resolved, 'utf8')).split('\n').filter(Boolean))],
  };
}

/** The packages of node_modules among module URLs or paths. */
export function packagesOf(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((u) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []))].sort();
}

/** Starts `nocturne daemon` on configDir with the hooks; resolves once it logged "ready". */
export async function startTraced(
  configDir: string,
  workDir: string,
  timeoutMs = 30_000,
): Promise<{ daemon: DaemonProcess; loaded: () => Promise<LoadedModules> }> {
  const esm = await esmTracer(workDir);
  const snapshot = path.join(workDir, 'loaded.json');
  const preload = path.join(workDir, 'trace-preload.mjs');
  await writeFile(
    preload,
    `import { createRequire } from 'node:module';\nimport { renameSync, writeFileSync } from 'node:fs';\n` +
      `const require = createRequire(import.meta.url);\n` +
      `process.on('SIGUSR2', () => {\n` +
      `  writeFileSync(${JSON.stringify(`${snapshot}.part`)}, JSON.stringify({ cjs: Object.keys(require.cache), builtins: process.moduleLoadList }));\n` +
      `  renameSync(${JSON.stringify(`${snapshot}.part`)}, ${JSON.stringify(snapshot)});\n});\n`,
  );
  const daemon = new DaemonProcess(configDir, [...esm.nodeArgs, '--import', preload]);
  await daemon.waitFor((l) => l.msg === 'ready', timeoutMs, '"ready"');
  return {
    daemon,
    loaded: async () => {
      daemon.kill('SIGUSR2');
      const deadline = Date.now() + 5_000;
      let text: string | undefined;
      while (text === undefined) {
        text = await readFile(snapshot, 'utf8').catch(() => undefined);
        if (text === undefined && Date.now() > deadline) throw new Error('the traced daemon wrote no module list after SIGUSR2');
        if (text === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      const { cjs, builtins } = JSON.parse(text) as { cjs: string[]; builtins: string[] };
      const resolved = await esm.resolved();
      return { esm: resolved, cjs, builtins, packages: packagesOf([...resolved, ...cjs]) };
    },
  };
}
