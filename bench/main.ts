/**
 * `npm run bench -- <stage> [args]`: each stage measured beside the best plain tool in
 * the same run, printing the ratio. Not a test: nothing here passes or fails.
 */
const benches: Record<string, () => Promise<{ bench(args: string[]): Promise<void> }>> = {
  run: () => import('./run.js'),
  upload: () => import('./upload.js'),
  ingest: () => import('./ingest.js'),
  'ingest-sets': () => import('./ingest-sets.js'),
  daemon: () => import('./daemon.js'),
  monitor: () => import('./monitor.js'),
  prune: () => import('./prune.js'),
  quicklooks: () => import('./quicklooks.js'),
  'upload-rss': () => import('./upload-rss.js'),
  campaign: () => import('./campaign.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]\n`);
  process.exitCode = 64;
} else {
  // tsx maps every stack trace through its source maps; the installed command does not
  // (bin/nocturne.js). Stages that run in this process would pay for it on each Error
  // made: basic-ftp makes one per FTP command, a tenth of the FTP time of many files.
  process.setSourceMapsEnabled(false);
  await (await load()).bench(args);
}
