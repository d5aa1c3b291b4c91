import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSlot, HardStateCorruptedError, HardStateFile } from './hard-state-file.js';

let directory: string;
let filePath: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-hard-state-'));
  filePath = path.join(directory, 'raft-hard-state');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function reopenedState(): Promise<unknown> {
  const file = await HardStateFile.open(filePath);
  const state = file.state;
  await file.close();
  return state;
}

describe('HardStateFile', () => {
  it('starts without state and keeps the latest state written across a restart', async () => {
    // given
    const file = await HardStateFile.open(filePath);
    expect(file.state).toBeUndefined();

    // when
    await file.save({ term: 1, votedFor: 2, commitIndex: 0 }, true);
    await file.save({ term: 2, votedFor: undefined, commitIndex: 5, logLostInTerm: 1 }, true);
    void file.save({ term: 2, votedFor: 0, commitIndex: 6 }, false);
    await file.save({ term: 2, votedFor: 0, commitIndex: 2 ** 40 }, false);
    await file.close();

    // then
    expect(await reopenedState()).toEqual({ term: 2, votedFor: 0, commitIndex: 2 ** 40 });
  });

  it('falls back to the previous state when the latest write was torn', async () => {
    // given two writes, the second one into slot 0
    const file = await HardStateFile.open(filePath);
    await file.save({ term: 3, votedFor: 1, commitIndex: 10 }, true);
    await file.save({ term: 4, votedFor: 2, commitIndex: 11 }, true);
    await file.close();

    // when a third write into slot 1 is torn half way
    const bytes = await readFile(filePath);
    encodeSlot(3, { term: 5, votedFor: 3, commitIndex: 12 }).copy(bytes, 64, 0, 20);
    await writeFile(filePath, bytes);

    // then the second write is what counts
    expect(await reopenedState()).toEqual({ term: 4, votedFor: 2, commitIndex: 11 });
  });

  it('treats a torn first write as no state: nothing was synced yet', async () => {
    await writeFile(filePath, encodeSlot(1, { term: 1, votedFor: 1, commitIndex: 0 }).subarray(0, 30));
    expect(await reopenedState()).toBeUndefined();
  });

  it('refuses a file whose slots are both damaged, naming the file', async () => {
    // given
    const file = await HardStateFile.open(filePath);
    await file.save({ term: 3, votedFor: 1, commitIndex: 10 }, true);
    await file.save({ term: 4, votedFor: 2, commitIndex: 11 }, true);
    await file.close();
    const bytes = await readFile(filePath);
    bytes[20] ^= 1;
    bytes[84] ^= 1;
    await writeFile(filePath, bytes);

    // then
    await expect(HardStateFile.open(filePath)).rejects.toThrow(HardStateCorruptedError);
    await expect(HardStateFile.open(filePath)).rejects.toThrow(filePath);
  });
});
