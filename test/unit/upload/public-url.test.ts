import { describe, expect, it } from 'vitest';
import { publicUrlOf } from '../../../src/stages/upload/pg-transfer-ledger.js';

describe('public URL of an archived file', () => {
  it("is the target's publicUrl followed by the remote path, each segment encoded", () => {
    expect(publicUrlOf('https://hfc.example.org/archive/', '/hfc/sdoss/2026/11/a b#1.jpg')).toBe(
      'https://hfc.example.org/archive/hfc/sdoss/2026/11/a%20b%231.jpg',
    );
    expect(publicUrlOf('https://hfc.example.org', 'relative/x.jpg')).toBe('https://hfc.example.org/relative/x.jpg');
  });
});
