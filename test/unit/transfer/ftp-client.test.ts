// FtpClient against a scripted FTP server on 127.0.0.1: the behaviours the rig's real
// servers cannot be made to show (a server that takes the bytes and never confirms them,
// one that refuses EPSV or names a port nobody listens on), and what each write of the
// control connection carried.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient } from '../../../src/adapters/transfer/ftp-client.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

interface Script {
  /** What EPSV gets, by its turn in the session (1 is the first). */
  epsv?: (turn: number) => 'ok' | 'refuse' | 'dead-port';
  /** Whether STOR's final reply is sent once the bytes arrived. */
  confirm?: boolean;
}

interface Scripted {
  port: number;
  /** What arrived on the control connection, write by write (as read). */
  reads: string[];
  /** Bytes received per STOR. */
  stored: Map<string, number>;
}

/** Answers the login, EPSV and STOR as scripted; anything else gets 200. */
async function scripted(script: Script = {}): Promise<Scripted> {
  const reads: string[] = [];
  const stored = new Map<string, number>();
  const server = net.createServer((control) => {
    let data: Promise<net.Socket> | undefined;
    let passives = 0;
    control.on('error', () => undefined);
    control.setEncoding('utf8');
    control.write('220 scripted\r\n');
    control.on('data', (text: string) => {
      reads.push(text);
      for (const line of text.split('\r\n').filter((l) => l !== '')) {
        const [command, arg = ''] = line.split(' ');
        if (command === 'EPSV') {
          const answer = script.epsv?.((passives += 1)) ?? 'ok';
          data = undefined;
          if (answer === 'refuse') control.write('500 Unknown command.\r\n');
          else if (answer === 'dead-port') control.write('229 Entering Extended Passive Mode (|||1|)\r\n');
          else {
            const passive = net.createServer();
            servers.push(passive);
            data = new Promise((resolve) => passive.once('connection', resolve));
            passive.listen(0, '127.0.0.1', () => {
              control.write(`229 Entering Extended Passive Mode (|||${(passive.address() as net.AddressInfo).port}|)\r\n`);
            });
          }
        } else if (command === 'STOR') {
          if (data === undefined) {
            control.write('425 Use PORT or PASV first.\r\n');
            continue;
          }
          void data.then((socket) => {
            control.write('150 Ok to send data.\r\n');
            let bytes = 0;
            socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
            socket.on('end', () => {
              stored.set(arg, bytes);
              socket.end();
              if (script.confirm !== false) control.write('226 Transfer complete.\r\n');
            });
          });
        } else {
          control.write(command === 'USER' ? '230 Login successful.\r\n' : '200 OK.\r\n');
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, reads, stored };
}

async function withClient(server: Scripted, timeoutMs: number, use: (client: FtpClient) => Promise<void>): Promise<void> {
  const client = new FtpClient(timeoutMs);
  try {
    await client.access({ host: '127.0.0.1', port: server.port, user: 'u', password: 'p' });
    await use(client);
  } finally {
    client.close();
  }
}

const noProgress = () => undefined;

describe('FtpClient.storeBytes', () => {
  it('fails with the client timeout when the server takes the bytes and never confirms them', async () => {
    const server = await scripted({ confirm: false });
    await withClient(server, 500, async (client) => {
      const started = Date.now();
      await expect(client.storeBytes('/x.partial', Buffer.alloc(200_000, 1), noProgress)).rejects.toThrow(/Timeout/);
      expect(Date.now() - started).toBeLessThan(3_000);
    });
  });

  it('sends EPSV and STOR in one write once the server took EPSV, and every byte arrives', async () => {
    const server = await scripted();
    await withClient(server, 2_000, async (client) => {
      await client.storeBytes('/a.partial', Buffer.alloc(300_000, 1), noProgress);
      await client.storeBytes('/b.partial', Buffer.alloc(200_000, 2), noProgress);
      await client.storeBytes('/c.partial', Buffer.alloc(0), noProgress);
    });
    expect(server.stored).toEqual(
      new Map([
        ['/a.partial', 300_000],
        ['/b.partial', 200_000],
        ['/c.partial', 0],
      ]),
    );
    // The first transfer asks EPSV alone (basic-ftp finds the passive mode the server takes).
    expect(server.reads).toContain('EPSV\r\n');
    expect(server.reads).toContain('EPSV\r\nSTOR /b.partial\r\n');
    expect(server.reads).toContain('EPSV\r\nSTOR /c.partial\r\n');
  });

  it('fails with the refusal of EPSV, and the session goes on in step', async () => {
    const server = await scripted({ epsv: (turn) => (turn === 2 ? 'refuse' : 'ok') });
    await withClient(server, 2_000, async (client) => {
      await client.storeBytes('/a.partial', Buffer.alloc(10, 1), noProgress);
      await expect(client.storeBytes('/b.partial', Buffer.alloc(10, 1), noProgress)).rejects.toMatchObject({
        code: 500,
        message: expect.stringContaining('Unknown command'),
      });
      // STOR's own refusal (425) was read with it: the next command gets its own reply.
      await client.storeBytes('/c.partial', Buffer.alloc(10, 3), noProgress);
      await expect(client.send('NOOP')).resolves.toMatchObject({ code: 200 });
    });
    expect([...server.stored.keys()]).toEqual(['/a.partial', '/c.partial']);
  });

  it('closes the session when the data connection the server named cannot be opened', async () => {
    const server = await scripted({ epsv: (turn) => (turn === 2 ? 'dead-port' : 'ok') });
    await withClient(server, 2_000, async (client) => {
      await client.storeBytes('/a.partial', Buffer.alloc(10, 1), noProgress);
      await expect(client.storeBytes('/b.partial', Buffer.alloc(10, 1), noProgress)).rejects.toThrow(/data connection/);
      // STOR waits on the server for a connection that never comes: the session cannot go on.
      expect(client.closed).toBe(true);
    });
  });
});
