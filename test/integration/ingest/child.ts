// A second nocturne process for the concurrency and kill -9 tests: runs the ingest stage
// of a world (spec as JSON in argv[2]) on a pool of its own and prints the outcome.
//   node --import tsx test/integration/ingest/child.ts '<spec json>' <application name> <run id>
import { closeDb, openDb } from '../../../src/db/database.js';
import { ingestStage } from '../../../src/stages/ingest/index.js';
import { directContext, loadWorldConfig, type WorldSpec } from './world.js';

const [specJson, applicationName, runId] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as WorldSpec;
const config = await loadWorldConfig(spec);
const db = openDb({ url: spec.url, schema: spec.schema, poolSize: 2, applicationName: applicationName! });
try {
  const outcome = await ingestStage(directContext(config, db, Number(runId)));
  process.stdout.write(`${JSON.stringify({ ok: outcome.ok, stats: outcome.stats, summary: outcome.summary })}\n`);
} finally {
  await closeDb(db);
}
