/**
 * The physical limit of an upload bench: the same bytes read from the page cache and
 * written to a loopback TCP socket whose far end discards them, over `streams`
 * connections at once. No protocol, no verification, no state.
 */
import { createReadStream } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';

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
      // Written by hand: a pipeline per file into the same socket leaves listeners on it.
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
        if (!socket.write(chunk as Buffer)) await once(socket, 'drain');
      }
    }
    await new Promise<void>((resolve) => socket.end(resolve));
  };
  try {
    await Promise.all(Array.from({ length: Math.min(streams, files.length) }, stream));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
