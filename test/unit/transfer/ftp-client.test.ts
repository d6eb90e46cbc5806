// FtpClient against a scripted FTP server on 127.0.0.1: the one behaviour the rig's real
// servers cannot be made to show, a server that takes the bytes and never confirms them.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient } from '../../../src/adapters/transfer/ftp-client.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** Answers the login and EPSV, takes the bytes of STOR, and never sends its final reply. */
async function silentAfterData(): Promise<number> {
  const server = net.createServer((control) => {
    let data: Promise<net.Socket> | undefined;
    control.on('error', () => undefined);
    control.setEncoding('utf8');
    control.write('220 scripted\r\n');
    control.on('data', (text: string) => {
      for (const line of text.split('\r\n').filter((l) => l !== '')) {
        const command = line.split(' ')[0];
        if (command === 'EPSV') {
          const passive = net.createServer();
          servers.push(passive);
          data = new Promise((resolve) => passive.once('connection', resolve));
          passive.listen(0, '127.0.0.1', () => {
            control.write(`229 Entering Extended Passive Mode (|||${(passive.address() as net.AddressInfo).port}|)\r\n`);
          });
        } else if (command === 'STOR') {
          control.write('150 Ok to send data.\r\n');
          void data?.then((socket) => {
            socket.resume();
            socket.on('end', () => socket.end());
          });
        } else {
          control.write(command === 'USER' ? '230 Login successful.\r\n' : '200 OK.\r\n');
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('FtpClient.storeBytes', () => {
  it('fails with the client timeout when the server takes the bytes and never confirms them', async () => {
    const client = new FtpClient(500);
    try {
      await client.access({ host: '127.0.0.1', port: await silentAfterData(), user: 'u', password: 'p' });
      const started = Date.now();
      await expect(client.storeBytes('/x.partial', Buffer.alloc(200_000, 1), () => undefined)).rejects.toThrow(/Timeout/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      client.close();
    }
  });
});
