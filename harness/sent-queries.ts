import { Socket } from 'node:net';

type Write = (this: Socket, ...args: unknown[]) => boolean;

/**
 * Appends to `sent` the text of each simple-protocol Query message this process sends
 * PostgreSQL, read off the sockets' writes (pg writes each message in a write of its own):
 * which statements a load sent. Returns the function that stops recording.
 */
export function recordQueries(sent: string[]): () => void {
  const write = Reflect.get(Socket.prototype, 'write') as Write;
  Reflect.set(Socket.prototype, 'write', function (this: Socket, ...args: unknown[]) {
    const chunk = args[0];
    if (Buffer.isBuffer(chunk) && chunk[0] === 0x51) sent.push(chunk.toString('utf8', 5));
    return write.apply(this, args);
  });
  return () => Reflect.set(Socket.prototype, 'write', write);
}
