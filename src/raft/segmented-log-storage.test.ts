import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentedLog } from '../log/index.js';
import type { RaftEntry } from './log-storage.js';
import { MemoryRaftLogStorage } from './memory-log-storage.js';
import { SegmentedLogStorage } from './segmented-log-storage.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-raft-storage-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const open = async (): Promise<SegmentedLogStorage> => new SegmentedLogStorage(await SegmentedLog.open({ directory, segmentSizeBytesMax: 256, onWarning: () => undefined }));

function entries(fromIndex: number, term: number, count: number): RaftEntry[] {
  return Array.from({ length: count }, (_, position) => ({ index: fromIndex + position, term, payload: new Uint8Array(Buffer.from(`${term}:${fromIndex + position}`)) }));
}

/** Everything the core can read, in a form that compares across the two storages. */
function view(storage: MemoryRaftLogStorage | SegmentedLogStorage): unknown {
  const { firstIndex, lastIndex } = storage;
  const terms = [];
  for (let index = firstIndex - 1; index <= lastIndex + 1; index++) terms.push(storage.termAt(index));
  const held = lastIndex >= firstIndex ? storage.entries(firstIndex, lastIndex, Infinity).map((entry) => ({ ...entry, payload: Buffer.from(entry.payload).toString() })) : [];
  return { firstIndex, lastIndex, terms, held };
}

describe('SegmentedLogStorage', () => {
  it('reads back what MemoryRaftLogStorage reads back after the same Ready writes, across a restart', async () => {
    // given
    const memory = new MemoryRaftLogStorage();
    let storage = await open();
    const readies = [
      { truncateAfterIndex: undefined, entriesToAppend: entries(1, 1, 30) },
      { truncateAfterIndex: 20, entriesToAppend: entries(21, 2, 5) },
      { truncateAfterIndex: 22, entriesToAppend: [] },
      { truncateAfterIndex: undefined, entriesToAppend: entries(23, 4, 40) },
      { truncateAfterIndex: 3, entriesToAppend: entries(4, 5, 3) },
    ];

    // when
    for (const ready of readies) {
      memory.truncateAfter(ready.truncateAfterIndex ?? memory.lastIndex);
      memory.append(ready.entriesToAppend);
      storage.applyReadyStorage(ready);
      expect(view(storage)).toEqual(view(memory));
    }
    const durableIndex = await storage.flush();
    await storage.log.close();
    storage = await open();

    // then
    expect(durableIndex).toBe(6);
    expect(view(storage)).toEqual(view(memory));
    await storage.log.close();
  });

  it('caps entries by size but always returns the first, as the memory storage does', async () => {
    const memory = new MemoryRaftLogStorage();
    const storage = await open();
    memory.append(entries(1, 1, 10));
    storage.applyReadyStorage({ truncateAfterIndex: undefined, entriesToAppend: entries(1, 1, 10) });

    for (const sizeBytesMax of [0, 3, 7, 12, 100]) {
      expect(storage.entries(2, 9, sizeBytesMax).map((entry) => entry.index)).toEqual(memory.entries(2, 9, sizeBytesMax).map((entry) => entry.index));
    }
    await storage.log.close();
  });

  it('replaces the log with an empty one after an installed snapshot, durably', async () => {
    // given
    const memory = new MemoryRaftLogStorage();
    let storage = await open();
    storage.applyReadyStorage({ truncateAfterIndex: undefined, entriesToAppend: entries(1, 1, 12) });
    await storage.flush();

    // when a snapshot at 50 (term 3) is installed
    await storage.replaceWithEmptyLogAfter(50);
    memory.reset(51);
    await storage.log.close();
    storage = await open();

    // then the log continues after the snapshot
    expect(view(storage)).toEqual(view(memory));
    expect([storage.firstIndex, storage.lastIndex]).toEqual([51, 50]);
    storage.applyReadyStorage({ truncateAfterIndex: undefined, entriesToAppend: entries(51, 3, 2) });
    expect(storage.termAt(52)).toBe(3);
    await storage.log.close();
  });

  it('refuses a Ready whose entries do not continue the log', async () => {
    const storage = await open();
    expect(() => storage.applyReadyStorage({ truncateAfterIndex: undefined, entriesToAppend: entries(2, 1, 1) })).toThrow('landed at 1');
    await storage.log.close();
  });
});
