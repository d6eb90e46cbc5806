import sharp from 'sharp';

// libvips keeps recent operations and their results for reuse (sharp's default: up to
// 50 MiB, 20 open files, 100 operations). Each quicklook is decoded once, so the cache
// only held memory: without it, 140-142 MiB peak RSS against 147-148 on 500 quicklooks
// of 1024 × 1024 (npm run bench -- upload-rss), at the same speed.
sharp.cache(false);

/** sharp, as the image adapters use it (settings of the whole process). */
export default sharp;
