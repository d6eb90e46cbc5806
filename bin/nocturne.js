#!/usr/bin/env -S node --max-semi-space-size=2
// The young generation capped at 2 MiB per semi-space (V8's default grows to 16): the
// same CPU on the ingest and upload benches, some 25 MiB less resident in the daemon and
// in each stage's run (docs/operating.md, "Memory"). A V8 option is read at start only.
//
// Runs dist/nocturne.cjs (scripts/build.ts) with V8's code cache of it when the cache
// was made for this very build, by this Node with these options: what a start runs is
// then not compiled again at each start (docs/operating.md, "Start-up"). Without it, the
// same code, compiled as it runs.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/nocturne.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;

/** The bundle run as Node runs a CommonJS module, with the cache when it fits. */
function withCodeCache() {
  const source = readFileSync(bundle, 'utf8');
  // The bundle's first line names its build; the cache starts with that line.
  const buildLine = Buffer.from(`${source.slice(0, source.indexOf('\n'))}\n`);
  let cache;
  try {
    cache = readFileSync(cacheFile);
  } catch {
    // No cache: compiled as it runs.
  }
  const fits = cache?.subarray(0, buildLine.length).equals(buildLine);
  const script = new Script(Module.wrap(source), {
    filename: bundle,
    cachedData: fits ? cache.subarray(buildLine.length) : undefined,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  return { main: module.exports.main, writeCache: () => writeFileSync(cacheFile, Buffer.concat([buildLine, script.createCachedData()])) };
}

// Node maps stack traces through dist/nocturne.cjs.map (--enable-source-maps) for what
// its own loader loaded only: then, no cache.
const { main, writeCache } = process.sourceMapsEnabled ? createRequire(import.meta.url)(bundle) : withCodeCache();
process.exitCode = await main(process.argv.slice(2));
// `npm run build` makes the cache here, after a command ran: what it compiled is kept.
if (process.env['NOCTURNE_WRITE_CODE_CACHE'] === '1') writeCache();
