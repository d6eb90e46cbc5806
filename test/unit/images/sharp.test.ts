import { describe, expect, it } from 'vitest';
import sharp from '../../../src/adapters/images/sharp.js';

describe('sharp as the image adapters use it', () => {
  it('keeps no libvips operation cache: each quicklook is decoded once', () => {
    const { memory, files, items } = sharp.cache();
    expect([memory.max, files.max, items.max]).toEqual([0, 0, 0]);
  });
});
