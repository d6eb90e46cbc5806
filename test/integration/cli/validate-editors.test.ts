import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What an editor sees: the yaml-language-server package (VS Code's YAML extension runs
// it) driven over LSP on stdio, on a copy of the installed layout of docs/operating.md.
const REPO = path.resolve(import.meta.dirname, '../../..');
const SERVER = path.join(REPO, 'node_modules/yaml-language-server/bin/yaml-language-server');

interface Diagnostic {
  message: string;
  range: { start: { line: number; character: number } };
}

/** A minimal LSP client: requests, and the diagnostics the server publishes per document. */
/** A JSON-RPC message of the language server protocol, with the params this test reads. */
interface LspMessage {
  id?: number;
  method?: string;
  params?: { items?: unknown[]; uri?: string; diagnostics?: Diagnostic[] };
  result?: unknown;
  error?: unknown;
}

class LanguageServer {
  readonly #process: ChildProcessWithoutNullStreams;
  #buffer = Buffer.alloc(0);
  #id = 0;
  readonly #replies = new Map<number, (result: unknown) => void>();
  readonly #diagnostics = new Map<string, (diagnostics: Diagnostic[]) => void>();

  readonly #ended: Promise<never>;

  constructor() {
    this.#process = spawn(process.execPath, [SERVER, '--stdio']);
    this.#process.stdout.on('data', (chunk: Buffer) => this.#receive(chunk));
    let stderr = '';
    this.#process.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A server that cannot start (package missing after a dependency change without
    // `npm ci`) must fail the test with its words at once, not as a hook timeout.
    this.#ended = new Promise((_, reject) =>
      this.#process.once('exit', (code) => reject(new Error(`yaml-language-server exited (${code}): ${stderr.trim()}`))),
    );
    this.#ended.catch(() => undefined);
  }

  async start(): Promise<void> {
    await this.request('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } } });
    this.#send({ method: 'initialized', params: {} });
    // The schema store is on the network, which CI does not have: the modeline is the only schema.
    this.#send({ method: 'workspace/didChangeConfiguration', params: { settings: { yaml: SETTINGS } } });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const id = ++this.#id;
    const reply = new Promise<T>((resolve) => {
      this.#replies.set(id, resolve as (result: unknown) => void);
      this.#send({ id, method, params });
    });
    return Promise.race([reply, this.#ended]);
  }

  /** Opens a file as an editor does and resolves to the diagnostics the server publishes for it. */
  open(file: string, text: string): Promise<Diagnostic[]> {
    const uri = pathToFileURL(file).href;
    const published = new Promise<Diagnostic[]>((resolve) => this.#diagnostics.set(uri, resolve));
    this.#send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'yaml', version: 1, text } } });
    return published;
  }

  async stop(): Promise<void> {
    if (this.#process.exitCode !== null) return;
    await this.request('shutdown', null);
    const exited = new Promise((resolve) => this.#process.once('exit', resolve));
    this.#send({ method: 'exit' });
    await exited;
  }

  #send(message: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }));
    this.#process.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.#buffer.subarray(0, end).toString())?.[1]);
      if (this.#buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.#buffer.subarray(end + 4, end + 4 + length).toString()) as LspMessage;
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      this.#handle(message);
    }
  }

  #handle(message: LspMessage): void {
    if (message.method === undefined && message.id !== undefined) {
      this.#replies.get(message.id)?.(message.result ?? message.error);
      this.#replies.delete(message.id);
    } else if (message.method === 'workspace/configuration') {
      this.#send({ id: message.id, result: (message.params?.items ?? []).map(() => SETTINGS) });
    } else if (message.id !== undefined) {
      this.#send({ id: message.id, result: null });
    } else if (message.method === 'textDocument/publishDiagnostics') {
      const { uri = '', diagnostics = [] } = message.params ?? {};
      this.#diagnostics.get(uri)?.(diagnostics);
      this.#diagnostics.delete(uri);
    }
  }
}

const SETTINGS = { validate: true, hover: true, completion: true, schemaStore: { enable: false } };

/** docs/operating.md's Install, in a scratch root: the package, /etc/nocturne, and the link it documents. */
async function installedLayout(root: string): Promise<string> {
  const at = (p: string) => path.join(root, p.replace(/^\/+/, ''));
  await cp(path.join(REPO, 'schema'), at('/usr/lib/nocturne/schema'), { recursive: true });
  await mkdir(at('/etc/nocturne'), { recursive: true });
  await cp(path.join(REPO, 'config'), at('/etc/nocturne/config'), { recursive: true });
  await cp(path.join(REPO, 'pipelines'), at('/etc/nocturne/pipelines'), { recursive: true });
  const guide = await readFile(path.join(REPO, 'docs/operating.md'), 'utf8');
  const links = [...guide.matchAll(/^\s*ln -s (\/\S+) (\/etc\/nocturne\/\S*)$/gm)];
  expect(
    links.map((m) => m[2]),
    'docs/operating.md links the schemas into /etc/nocturne',
  ).toEqual(['/etc/nocturne/schema']);
  for (const [, target, link] of links) await symlink(at(target as string), at(link as string));
  return at('/etc/nocturne');
}

describe('the JSON Schemas as an editor sees them (yaml-language-server over LSP)', () => {
  let root: string;
  let etc: string;
  const server = new LanguageServer();

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'nocturne-editors-'));
    etc = await installedLayout(root);
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  let edits = 0;
  /** Diagnostics of a copy of `file` (its modeline resolves the same) with `edit` applied. */
  const opened = async (file: string, edit: (text: string) => string = (t) => t) => {
    const text = edit(await readFile(path.join(etc, file), 'utf8'));
    const copy = path.join(etc, path.dirname(file), `edit${edits++}-${path.basename(file)}`);
    await writeFile(copy, text);
    return (await server.open(copy, text)).map((d) => `${d.range.start.line + 1}: ${d.message}`);
  };

  it('finds the schema of every example file from its modeline, and has nothing to say about them', async () => {
    for (const file of ['config/nocturne.yaml', 'pipelines/sdoss.yaml', 'pipelines/rabat3.yaml', 'pipelines/spoca-ar.yaml']) {
      expect({ file, diagnostics: await opened(file) }).toEqual({ file, diagnostics: [] });
    }
  });

  it('lists the accepted target types for a misspelt type, and says what a pattern means', async () => {
    const diagnostics = await opened('config/nocturne.yaml', (text) =>
      text.replace('    type: local', '    type: locl').replace('url: postgres://', 'url: postgre://'),
    );
    expect(diagnostics).toEqual([
      expect.stringMatching(/^\d+: must be a postgres:\/\/ URL$/),
      expect.stringMatching(/^\d+: Value is not accepted\. Valid values: "ftp", "ftps", "sftp", "local"\.$/),
    ]);
  });

  it('completes the keys of the target type written, and describes them on hover', async () => {
    const text = '# yaml-language-server: $schema=../schema/nocturne.schema.json\ntargets:\n  archive:\n    type: sftp\n    \n';
    const file = path.join(etc, 'config', 'completion.yaml');
    await writeFile(file, text);
    await server.open(file, text);
    const uri = pathToFileURL(file).href;
    const completion = await server.request<{ items: { label: string }[] }>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 4, character: 4 },
    });
    expect(completion.items.map((i) => i.label)).toEqual(expect.arrayContaining(['host', 'user', 'privateKey', 'hostKeySha256']));
    expect(completion.items.map((i) => i.label)).not.toContain('insecure');
    const hover = await server.request<{ contents: { value: string } }>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 3, character: 6 },
    });
    expect(hover.contents.value).toContain('sftp: SSH file transfer, with a pinned host key.');
  });
});
