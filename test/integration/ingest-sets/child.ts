// A second nocturne process for the kill -9 test: runs the sets-mode ingest stage of a
// world (spec as JSON in argv[2]) on a pool of its own and prints the outcome.
//   node --import tsx test/integration/ingest-sets/child.ts '<spec json>' <run id>
import { closeDb, openDb } from '../../../src/db/database.js';
import { ingestStage } from '../../../src/stages/ingest/index.js';
import { directContext, loadSetsConfig, type SetsWorldSpec } from './world.js';

const [specJson, runId] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as SetsWorldSpec;
const config = await loadSetsConfig(spec);
const db = openDb({ url: spec.url, schema: spec.schema, poolSize: 3, applicationName: 'nocturne-sets-child' });
try {
  const outcome = await ingestStage(directContext(config, spec.code, db, Number(runId)));
  process.stdout.write(`${JSON.stringify({ ok: outcome.ok, stats: outcome.stats })}\n`);
} finally {
  await closeDb(db);
}
