/**
 * The modules a nocturne process has loaded, for the start-path tests and bench/daemon.ts:
 * the modules of src/ it evaluated, each ESM module it resolved (a resolution hook), each
 * CommonJS file it required and each of Node's own modules. A daemon writes them when the
 * test sends SIGUSR2 (which the daemon itself does not use) after "ready"; a command that
 * ends, at its exit.
 *
 * dist/nocturne.cjs holds all of src/ and a few packages (scripts/build.ts): a module
 * imported lazily, and each file of a bundled package, is evaluated by a function that
 * esbuild names after its source file, and V8's coverage of functions says which of those
 * ran.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DaemonProcess, REPO } from './daemon-process.js';

export interface LoadedModules {
  /** Source files of the modules of src/ imported lazily and evaluated, e.g. "src/cli/commands/daemon.ts". */
  evaluated: string[];
  /** URLs of the ESM modules resolved (node: ones included). */
  esm: string[];
  /** Source files of the packages bundled into dist/nocturne.cjs that it evaluated, e.g. "node_modules/pg-promise/lib/index.js". */
  bundled: string[];
  /** Paths of the CommonJS files required from node_modules (packages such as sharp). */
  cjs: string[];
  /** Node's own modules (process.moduleLoadList), e.g. "NativeModule internal/deps/undici/undici". */
  builtins: string[];
  /** The packages of node_modules among bundled, esm and cjs. */
  packages: string[];
}

/**
 * The modules of src/ that dist/nocturne.cjs evaluates only when first imported, each in
 * its own function: those whose evaluation the tracer sees (the others always are).
 */
export async function lazyModules(): Promise<string[]> {
  const bundle = await readFile(path.join(REPO, 'dist/nocturne.cjs'), 'utf8');
  return [...bundle.matchAll(/"(src\/[^"]+\.ts)"\(\)\{/g)].map((m) => m[1]!);
}

/** The packages of node_modules among module URLs or paths. */
export function packagesOf(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((u) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []))].sort();
}

/**
 * Node options that record what a process loads into workDir (at SIGUSR2 and at its
 * exit), and the reader of that record.
 */
export async function moduleTracer(
  workDir: string,
): Promise<{ nodeArgs: string[]; loaded: (timeoutMs?: number) => Promise<LoadedModules> }> {
  const resolved = path.join(workDir, 'esm-resolved.txt');
  const record = path.join(workDir, 'loaded.json');
  const hooks = path.join(workDir, 'trace-hooks.mjs');
  const preload = path.join(workDir, 'trace-preload.mjs');
  await writeFile(resolved, '');
  await rm(record, { force: true });
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';\n` +
      `export async function resolve(s, c, next) {\n` +
      `  const r = await next(s, c); appendFileSync(${JSON.stringify(resolved)}, r.url + '\\n'); return r;\n}\n`,
  );
  await writeFile(
    preload,
    `import { register, createRequire } from 'node:module';\nimport { Session } from 'node:inspector';\n` +
      `import { renameSync, writeFileSync } from 'node:fs';\n` +
      `register(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
      `const require = createRequire(import.meta.url);\n` +
      // Function-level counts: a lazily imported module's evaluation is one call of its function.
      `const session = new Session();\nsession.connect();\nsession.post('Profiler.enable');\n` +
      `session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });\n` +
      `function save() {\n` +
      `  let scripts = [];\n` +
      `  session.post('Profiler.takePreciseCoverage', (err, r) => { if (!err) scripts = r.result; });\n` +
      `  const ran = scripts.filter((s) => s.url.endsWith('nocturne.cjs')).flatMap((s) => s.functions)\n` +
      `    .filter((f) => f.ranges[0].count > 0).map((f) => f.functionName);\n` +
      `  const evaluated = ran.filter((name) => /^src\\/.*\\.ts$/.test(name));\n` +
      `  const bundled = ran.filter((name) => /^node_modules\\/.*\\.js$/.test(name));\n` +
      `  const loaded = { evaluated: [...new Set(evaluated)], bundled: [...new Set(bundled)], cjs: Object.keys(require.cache), builtins: process.moduleLoadList };\n` +
      `  writeFileSync(${JSON.stringify(`${record}.part`)}, JSON.stringify(loaded));\n` +
      `  renameSync(${JSON.stringify(`${record}.part`)}, ${JSON.stringify(record)});\n}\n` +
      `process.on('SIGUSR2', save);\nprocess.on('exit', save);\n`,
  );
  return {
    nodeArgs: ['--import', preload],
    loaded: async (timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      let text: string | undefined;
      while (text === undefined) {
        text = await readFile(record, 'utf8').catch(() => undefined);
        if (text === undefined && Date.now() > deadline) throw new Error(`the traced process wrote no module list (${record})`);
        if (text === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      const { evaluated, bundled, cjs, builtins } = JSON.parse(text) as Omit<LoadedModules, 'esm' | 'packages'>;
      const esm = [...new Set((await readFile(resolved, 'utf8')).split('\n').filter(Boolean))];
      return { evaluated, bundled, esm, cjs, builtins, packages: packagesOf([...bundled, ...esm, ...cjs]) };
    },
  };
}

/** Starts `nocturne daemon` on configDir with the tracer; resolves once it logged "ready". */
export async function startTraced(
  configDir: string,
  workDir: string,
  timeoutMs = 30_000,
): Promise<{ daemon: DaemonProcess; loaded: () => Promise<LoadedModules> }> {
  const tracer = await moduleTracer(workDir);
  const daemon = new DaemonProcess(configDir, tracer.nodeArgs);
  await daemon.waitFor((l) => l.msg === 'ready', timeoutMs, '"ready"');
  return {
    daemon,
    loaded: () => {
      daemon.kill('SIGUSR2');
      return tracer.loaded();
    },
  };
}
