// Runs one upload of a test world in a process of its own, so that kill-9.test.ts can
// kill it with SIGKILL at an arbitrary moment and memory.test.ts can measure its peak
// RSS. Arguments: spec JSON file, db url, schema. Prints {outcome, maxRssBytes}.
import { readFileSync } from 'node:fs';
import { closeDb, openDb } from '../../../src/db/database.js';
import { runWorldUpload, type WorldSpec } from '../../../harness/upload-world.js';

const [specFile, url, schema] = process.argv.slice(2);
if (specFile === undefined || url === undefined || schema === undefined) {
  throw new Error('usage: upload-child.ts <spec.json> <db-url> <schema>');
}
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as WorldSpec;
const db = openDb({ url, schema, poolSize: 6, applicationName: 'nocturne-test-kill9' });
const outcome = await runWorldUpload(spec, db, process.pid);
await closeDb(db);
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ outcome, maxRssBytes })}\n`);
