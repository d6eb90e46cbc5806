import type { Progress } from '../stages/types.js';

/** One status line rewritten in place on a terminal; nothing at all otherwise. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, label = ''): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = '';
  return {
    update(counters) {
      const text = `${label}${Object.entries(counters)
        .map(([k, v]) => `${k} ${v}`)
        .join('  ')}`;
      if (text === last) return;
      last = text;
      stream.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (last) stream.write('\n');
      last = '';
    },
  };
}
