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
  /**
   * What STOR gets, by its turn: `wait` for the data connection, then 150; `early-150`
   * at once, then wait; `refuse` with 553; `impatient`: 425 unless the data connection
   * is already open.
   */
  store?: (turn: number) => 'wait' | 'early-150' | 'refuse' | 'impatient';
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

/** Answers the login, EPSV and STOR as scripted, one command after the other; anything else gets 200. */
async function scripted(script: Script = {}): Promise<Scripted> {
  const reads: string[] = [];
  const stored = new Map<string, number>();
  const server = net.createServer((control) => {
    let data: Promise<net.Socket> | undefined;
    let open: net.Socket | undefined;
    let passives = 0;
    let stores = 0;
    let turn = Promise.resolve();
    control.on('error', () => undefined);
    control.setEncoding('utf8');
    control.write('220 scripted\r\n');
    const receive = async (socket: net.Socket, name: string) => {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      await new Promise((resolve) => socket.on('end', resolve));
      stored.set(name, bytes);
      socket.end();
      if (script.confirm !== false) control.write('226 Transfer complete.\r\n');
    };
    const answer = async (command: string | undefined, arg: string) => {
      if (command === 'EPSV') {
        const how = script.epsv?.((passives += 1)) ?? 'ok';
        data = undefined;
        open = undefined;
        if (how === 'refuse') control.write('500 Unknown command.\r\n');
        else if (how === 'dead-port') control.write('229 Entering Extended Passive Mode (|||1|)\r\n');
        else {
          const passive = net.createServer();
          servers.push(passive);
          data = new Promise((resolve) => passive.once('connection', resolve));
          void data.then((socket) => (open = socket));
          await new Promise<void>((resolve) => passive.listen(0, '127.0.0.1', resolve));
          control.write(`229 Entering Extended Passive Mode (|||${(passive.address() as net.AddressInfo).port}|)\r\n`);
        }
      } else if (command === 'STOR') {
        const how = script.store?.((stores += 1)) ?? 'wait';
        if (data === undefined || (how === 'impatient' && open === undefined)) control.write('425 Use PORT or PASV first.\r\n');
        else if (how === 'refuse') control.write('553 Could not create file.\r\n');
        else if (how === 'early-150') {
          control.write('150 Ok to send data.\r\n');
          await receive(await data, arg);
        } else {
          const socket = await data;
          control.write('150 Ok to send data.\r\n');
          await receive(socket, arg);
        }
      } else {
        control.write(command === 'USER' ? '230 Login successful.\r\n' : '200 OK.\r\n');
      }
    };
    control.on('data', (text: string) => {
      reads.push(text);
      for (const line of text.split('\r\n').filter((l) => l !== '')) {
        const [command, arg = ''] = line.split(' ');
        turn = turn.then(() => answer(command, arg));
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

  it('sends the bytes when the server says 150 before the data connection is open', async () => {
    const server = await scripted({ store: () => 'early-150' });
    await withClient(server, 2_000, async (client) => {
      await client.storeBytes('/a.partial', Buffer.alloc(1_000, 1), noProgress);
      await client.storeBytes('/b.partial', Buffer.alloc(70_000, 2), noProgress);
    });
    expect(server.stored).toEqual(
      new Map([
        ['/a.partial', 1_000],
        ['/b.partial', 70_000],
      ]),
    );
  });

  it('fails with the refusal of a STOR sent with EPSV, and the session goes on in step', async () => {
    const server = await scripted({ store: (turn) => (turn === 2 ? 'refuse' : 'wait') });
    await withClient(server, 2_000, async (client) => {
      await client.storeBytes('/a.partial', Buffer.alloc(10, 1), noProgress);
      await expect(client.storeBytes('/b.partial', Buffer.alloc(10, 1), noProgress)).rejects.toMatchObject({ code: 553 });
      await client.storeBytes('/c.partial', Buffer.alloc(10, 3), noProgress);
      await expect(client.send('NOOP')).resolves.toMatchObject({ code: 200 });
    });
    expect([...server.stored.keys()]).toEqual(['/a.partial', '/c.partial']);
  });

  it('sends EPSV and STOR apart, in this session and the next, once a server answered such a STOR before the data connection', async () => {
    const server = await scripted({ store: () => 'impatient' });
    const habits = { epsvWithStor: true };
    const client = new FtpClient(2_000, habits);
    try {
      await client.access({ host: '127.0.0.1', port: server.port, user: 'u', password: 'p' });
      await client.storeBytes('/a.partial', Buffer.alloc(10, 1), noProgress);
      await expect(client.storeBytes('/b.partial', Buffer.alloc(10, 1), noProgress)).rejects.toMatchObject({ code: 425 });
      expect(habits.epsvWithStor).toBe(false);
      await client.storeBytes('/c.partial', Buffer.alloc(10, 3), noProgress);
    } finally {
      client.close();
    }
    const next = new FtpClient(2_000, habits);
    try {
      await next.access({ host: '127.0.0.1', port: server.port, user: 'u', password: 'p' });
      await next.storeBytes('/d.partial', Buffer.alloc(10, 4), noProgress);
      await next.storeBytes('/e.partial', Buffer.alloc(10, 5), noProgress);
    } finally {
      next.close();
    }
    expect([...server.stored.keys()]).toEqual(['/a.partial', '/c.partial', '/d.partial', '/e.partial']);
    expect(server.reads.filter((r) => r.includes('STOR')).map((r) => r.split('\r\n')[0])).toEqual([
      'STOR /a.partial',
      'EPSV',
      'STOR /c.partial',
      'STOR /d.partial',
      'STOR /e.partial',
    ]);
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
