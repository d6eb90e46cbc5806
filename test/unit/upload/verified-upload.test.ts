import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import type { TransferState } from '../../../src/stages/upload/transfer-ledger.js';
import { driveTransfer, type MachineDeps } from '../../../src/stages/upload/verified-upload.js';
import type { VerifyConfig } from '../../../src/stages/upload/verify.js';
import { MemoryLedger } from '../../../harness/memory-ledger.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { MemoryFiles, sha256 } from './fakes.js';

const LOCAL = '/outbox/sdoss/a.csv';
const FINAL = 'hfc/sdoss/2014/02/a.csv';
const PARTIAL = `${FINAL}.r4nd0m.partial`;
const BODY = Buffer.from('id,x\n1,2\n');

async function setup(options: { verify?: VerifyConfig; deleteAfterVerify?: boolean; state?: TransferState } = {}) {
  const files = new MemoryFiles();
  files.put(LOCAL, BODY);
  const server = new MemoryStore({ readLocal: files.read });
  const ledger = new MemoryLedger();
  let [t] = await ledger.add([
    { pipeline: 'sdoss', target: 'archive', kind: 'output', localPath: LOCAL, sizeBytes: BODY.length, mtimeMs: 1_000, remotePath: FINAL },
  ]);
  if (options.state && options.state !== 'discovered') {
    t = { ...t!, state: options.state, partialPath: ['uploading', 'verified'].includes(options.state) ? PARTIAL : null };
    ledger.rows.set(t.id, t);
  }
  const deps: MachineDeps = {
    ledger,
    files,
    verify: options.verify ?? 'size',
    deleteAfterVerify: options.deleteAfterVerify ?? true,
    signal: new AbortController().signal,
    random: () => 'r4nd0m',
  };
  const session = await server.open();
  const slot = { transfer: t! };
  return { files, server, ledger, deps, session, slot, drive: () => driveTransfer(slot, session, deps) };
}

const FULL = ['discovered', 'uploading', 'verified', 'renamed', 'checked', 'deleted'];

describe('driveTransfer: a fresh file', () => {
  it.each([
    ['size', 'size', ['size']],
    ['sha256-readback', 'size+sha256-readback', ['size', 'read']],
  ] as const)('verify %s: uploads to a partial name, verifies it, renames, then deletes', async (verify, method, checks) => {
    const w = await setup({ verify });
    expect(await w.drive()).toEqual({ uploadedBytes: BODY.length });
    expect(w.ledger.states(1)).toEqual(FULL);
    expect(w.server.log).toEqual([
      'ensureDir hfc/sdoss/2014/02',
      `put ${PARTIAL}`,
      ...checks.map((op) => `${op} ${PARTIAL}`),
      // One size check per file: the partial's, before the rename (docs/operating.md).
      `rename ${PARTIAL} -> ${FINAL}`,
    ]);
    expect(w.server.files.get(FINAL)).toEqual(BODY);
    expect(w.files.files.has(LOCAL)).toBe(false);
    expect(w.slot.transfer).toMatchObject({
      state: 'deleted',
      verifyMethod: method,
      partialPath: null,
      attempts: 1,
      localSha256: verify === 'size' ? null : sha256(BODY),
    });
  });

  it('records the partial name before the upload starts, and the verification once the rename is done', async () => {
    const w = await setup();
    const seen: string[] = [];
    w.deps.hooks = {
      afterState: (t) => void seen.push(`${t.state}:${t.partialPath}:${w.server.log.length}`),
    };
    await w.drive();
    // uploading is recorded after ensureDir only; verified, renamed and checked after put, size and rename.
    expect(seen.slice(0, 4)).toEqual([`uploading:${PARTIAL}:1`, 'verified:null:4', 'renamed:null:4', 'checked:null:4']);
  });

  it('records the verification, the rename and the check in one commit, after the rename, with all three events', async () => {
    const w = await setup();
    const commits: string[] = [];
    const move = w.ledger.move.bind(w.ledger);
    w.ledger.move = async (t, to, change) => {
      commits.push(`${[t.state, ...(change?.via ?? []).map((v) => v.state), to].join('>')}:${w.server.log.length}`);
      return move(t, to, change);
    };
    await w.drive();
    // ensureDir, put, size, rename: the record follows the rename, no second size.
    expect(commits).toEqual(['discovered>uploading:1', 'uploading>verified>renamed>checked:4', 'checked>deleted:4']);
    expect(w.ledger.states(1)).toEqual(FULL);
  });

  it('server-hash: uses the server digest when FEAT offers one', async () => {
    const w = await setup({ verify: 'server-hash' });
    w.server.serverHashes = ['sha256'];
    await w.drive();
    expect(w.server.log).toContain(`serverHash ${PARTIAL}`);
    expect(w.server.log.some((l) => l.startsWith('read'))).toBe(false);
    expect(w.slot.transfer).toMatchObject({ verifyMethod: 'size+sha256-server', remoteSha256: sha256(BODY) });
  });

  it('server-hash: reads back and records it when the server offers no digest, or gives none', async () => {
    const none = await setup({ verify: 'server-hash' });
    await none.drive();
    expect(none.slot.transfer.verifyMethod).toBe('size+sha256-readback(no-server-hash)');
    const silent = await setup({ verify: 'server-hash' });
    silent.server.serverHashes = ['sha256'];
    silent.server.serverHashAnswer = () => null;
    await silent.drive();
    expect(silent.slot.transfer.verifyMethod).toBe('size+sha256-readback(no-server-hash)');
    expect(silent.server.log).toContain(`read ${PARTIAL}`);
  });

  it.each([
    ['size', (body: Buffer) => body.subarray(0, 3), /3 bytes on the server, 9 bytes locally/],
    ['sha256-readback', (body: Buffer) => Buffer.alloc(body.length, 1), /SHA-256 [0-9a-f]{64} on the server, [0-9a-f]{64} locally/],
  ] as const)('verify %s: a remote copy altered before verification is removed; the local one stays', async (verify, alter, detail) => {
    const w = await setup({ verify });
    w.deps.hooks = { beforeVerify: (t) => void w.server.files.set(t.partialPath!, alter(w.server.files.get(t.partialPath!)!)) };
    const err = await w.drive().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NocturneError);
    expect(err).toMatchObject({ code: 'TRANSFER_VERIFY_MISMATCH', retryable: false });
    expect((err as Error).message).toMatch(detail);
    expect((err as Error).message).toContain(`${LOCAL} → target "archive"`);
    expect(w.files.files.has(LOCAL)).toBe(true);
    expect([...w.server.files.keys()]).toEqual([]);
    expect(w.slot.transfer).toMatchObject({ state: 'discovered', partialPath: null });
  });

  it('a local file gone before its upload is recorded as missing', async () => {
    const w = await setup();
    w.files.files.delete(LOCAL);
    await w.drive();
    expect(w.slot.transfer.state).toBe('missing');
    expect(w.server.log).toEqual([]);
  });

  it('deleteAfterVerify: false keeps the local file', async () => {
    const w = await setup({ deleteAfterVerify: false });
    await w.drive();
    expect(w.slot.transfer.state).toBe('kept');
    expect(w.files.files.has(LOCAL)).toBe(true);
  });

  it('stops before the next step when the signal fired', async () => {
    const w = await setup();
    const controller = new AbortController();
    w.deps.signal = controller.signal;
    w.deps.hooks = { afterState: (t) => (t.state === 'checked' ? controller.abort() : undefined) };
    await expect(w.drive()).rejects.toMatchObject({ code: 'ABORTED' });
    expect(w.slot.transfer.state).toBe('checked');
    expect(w.files.files.has(LOCAL)).toBe(true);
  });
});

/** A row left uploading, driven again: its partial removed, then a fresh upload (the same partial name: `random` is fixed). */
const UPLOADED_AGAIN = [
  `remove ${PARTIAL}`,
  'ensureDir hfc/sdoss/2014/02',
  `put ${PARTIAL}`,
  `size ${PARTIAL}`,
  `rename ${PARTIAL} -> ${FINAL}`,
];

describe('driveTransfer: resuming after an interruption', () => {
  it('uploading: the recorded partial is removed and the file uploaded again under a new name', async () => {
    const w = await setup({ state: 'uploading' });
    w.server.files.set(PARTIAL, BODY.subarray(0, 4));
    let n = 0;
    w.deps.random = () => `new${++n}`;
    await w.drive();
    expect(w.server.log.slice(0, 3)).toEqual([`remove ${PARTIAL}`, 'ensureDir hfc/sdoss/2014/02', `put ${FINAL}.new1.partial`]);
    expect([...w.server.files.keys()]).toEqual([FINAL]);
    expect(w.slot.transfer.state).toBe('deleted');
  });

  it('uploading, but renamed just before the interruption: uploaded again and renamed over the verified copy', async () => {
    const w = await setup({ state: 'uploading' });
    w.server.files.set(FINAL, BODY);
    await w.drive();
    expect(w.server.log).toEqual(UPLOADED_AGAIN);
    expect([...w.server.files.keys()]).toEqual([FINAL]);
    expect(w.server.files.get(FINAL)).toEqual(BODY);
    expect(w.ledger.states(1)).toEqual(FULL);
  });

  it('a rename that fails leaves the row uploading and the local copy; the next attempt uploads again', async () => {
    const w = await setup();
    const rename = w.session.rename.bind(w.session);
    w.session.rename = () => Promise.reject(new Error('550 Permission denied'));
    await expect(w.drive()).rejects.toThrow('550 Permission denied');
    expect(w.slot.transfer).toMatchObject({ state: 'uploading', partialPath: PARTIAL });
    expect(w.files.files.has(LOCAL)).toBe(true);
    expect([...w.server.files.keys()]).toEqual([PARTIAL]);
    w.session.rename = rename;
    await w.drive();
    expect(w.server.log.slice(-UPLOADED_AGAIN.length)).toEqual(UPLOADED_AGAIN);
    expect([...w.server.files.keys()]).toEqual([FINAL]);
    expect(w.slot.transfer).toMatchObject({ state: 'deleted', attempts: 2 });
  });

  it('verified (recorded so by an earlier version), partial still there: its size checked again, renamed, deleted', async () => {
    const w = await setup({ state: 'verified' });
    w.server.files.set(PARTIAL, BODY);
    await w.drive();
    expect(w.server.log).toEqual([`size ${PARTIAL}`, `rename ${PARTIAL} -> ${FINAL}`]);
    expect(w.slot.transfer.state).toBe('deleted');
  });

  it('verified (an earlier version), the rename had happened: the final copy is verified again, then the local one deleted', async () => {
    const w = await setup({ state: 'verified', verify: 'sha256-readback' });
    w.server.files.set(FINAL, BODY);
    await w.drive();
    expect(w.server.log).toEqual([`size ${PARTIAL}`, `size ${FINAL}`, `read ${FINAL}`, `size ${FINAL}`]);
    expect(w.slot.transfer.state).toBe('deleted');
  });

  it('verified (an earlier version), but neither partial nor a matching final copy: uploaded again', async () => {
    const w = await setup({ state: 'verified', verify: 'sha256-readback' });
    w.server.files.set(FINAL, Buffer.alloc(BODY.length, 9));
    await w.drive();
    expect(w.ledger.states(1)).toEqual(['discovered', 'discovered', 'uploading', 'verified', 'renamed', 'checked', 'deleted']);
    expect(w.server.files.get(FINAL)).toEqual(BODY);
  });

  it('renamed, final copy wrong: the local copy stays and the row starts over', async () => {
    const w = await setup({ state: 'renamed' });
    w.server.files.set(FINAL, BODY.subarray(1));
    await expect(w.drive()).rejects.toMatchObject({ code: 'TRANSFER_VERIFY_MISMATCH' });
    expect(w.files.files.has(LOCAL)).toBe(true);
    expect(w.slot.transfer.state).toBe('discovered');
  });

  it('checked, local copy already gone (deleted just before the crash): recorded as deleted', async () => {
    const w = await setup({ state: 'checked' });
    w.files.files.delete(LOCAL);
    await w.drive();
    expect(w.slot.transfer.state).toBe('deleted');
    expect(w.server.log).toEqual([]);
  });

  it('checked, local file replaced since its upload: not deleted, the new version is uploaded', async () => {
    const w = await setup({ state: 'checked' });
    w.server.files.set(FINAL, BODY);
    w.files.put(LOCAL, 'id,x\n1,3\n4,5\n', 2_000);
    await w.drive();
    expect(w.server.files.get(FINAL)?.toString()).toBe('id,x\n1,3\n4,5\n');
    expect(w.ledger.events.slice(1).map((e) => `${e.from}>${e.to}`)).toEqual([
      'checked>discovered',
      'discovered>uploading',
      'uploading>verified',
      'verified>renamed',
      'renamed>checked',
      'checked>deleted',
    ]);
  });

  it('a thumbnail is deleted even when outputs are kept', async () => {
    const w = await setup({ deleteAfterVerify: false });
    w.slot.transfer = { ...w.slot.transfer, kind: 'thumbnail' };
    w.ledger.rows.set(1, w.slot.transfer);
    await w.drive();
    expect(w.slot.transfer.state).toBe('deleted');
  });
});
