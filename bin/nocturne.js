#!/usr/bin/env -S node --max-semi-space-size=2
// The young generation capped at 2 MiB per semi-space (V8's default grows to 16): the
// same CPU on the ingest and upload benches, some 25 MiB less resident in the daemon and
// in each stage's run (docs/operating.md, "Memory"). A V8 option is read at start only.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
