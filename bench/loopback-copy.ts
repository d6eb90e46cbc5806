/**
 * The physical limit of an upload bench: the same bytes read from the page cache and
 * written to a loopback TCP socket whose far end discards them, over `streams`
 * connections at once. No protocol, no verification, no state.
 */
import { createReadStream } from 'node:fs';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';

export async function loopbackCopy(files: readonly string[], streams: number): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const queue = [...files];
  const stream = async () => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), socket, { end: false });
    }
    await new Promise<void>((resolve) => socket.end(resolve));
  };
  try {
    await Promise.all(Array.from({ length: Math.min(streams, files.length) }, stream));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
