import { describe, expect, it } from 'vitest';
import type { SetRole } from '../../../src/config/schema.js';
import type { Member } from '../../../src/stages/ingest/sets/run-state.js';
import { asidePairs } from '../../../src/stages/ingest/sets/set-outcomes.js';

const member = (role: SetRole, name: string): Member => ({
  role,
  candidate: { path: `/src/${name}`, relPath: name, sizeBytes: 1, modifiedAt: null },
  fetched: { body: { bytes: Buffer.from(name) }, sha256: `sha-${name}`, sizeBytes: 1, release: async () => {} },
});

describe("a rejected set's members, in the order they are set aside", () => {
  it('moves the init file first, whatever order the source listed them in', () => {
    // Listed by name, _feat sorts before _init: moved in that order, a kill between the
    // two would leave the init alone in the source, loaded next run without its features.
    const listed = [member('feat', 'sdoss_feat.csv'), member('init', 'sdoss_init.csv')];
    expect(asidePairs(listed).map((p) => p.candidate.relPath)).toEqual(['sdoss_init.csv', 'sdoss_feat.csv']);
    expect(asidePairs(listed)[0]!.sha256).toBe('sha-sdoss_init.csv');
  });
});
