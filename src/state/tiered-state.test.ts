import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from './state-store.js';

const directories: string[] = [];
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

async function openStore(cacheEntriesMax = 2): Promise<StateStore> {
  const directory = mkdtempSync(join(tmpdir(), 'tiered-state-'));
  directories.push(directory);
  return StateStore.open({ directory, cacheEntriesMax });
}

describe('state tiers: overlay, cache and RocksDB', () => {
  it('given persisted entries beyond the cache bound, when read again, then they come back from RocksDB', async () => {
    const store = await openStore(2);
    const jobs = store.column<[bigint], { n: number }>('jobs', 1);
    for (let n = 0; n < 10; n++) jobs.put([BigInt(n)], { n });
    store.commitTransaction(1);
    await store.persist(1);
    for (let n = 0; n < 10; n++) expect(jobs.get(BigInt(n))).toEqual({ n });
    expect(jobs.has(99n)).toBe(false);
    await store.close();
  });

  it('given persisted and unpersisted entries under a prefix, then a visit sees the newest value of each, deletes hidden', async () => {
    const store = await openStore(2);
    const items = store.column<[string, bigint], string>('items', 2);
    items.put(['a', 1n], 'old-1');
    items.put(['a', 2n], 'two');
    items.put(['a', 3n], 'three');
    items.put(['b', 1n], 'other');
    store.commitTransaction(1);
    await store.persist(1);
    items.put(['a', 1n], 'new-1');
    items.delete('a', 2n);
    items.put(['a', 4n], 'four');
    store.commitTransaction(2);
    const seen: [bigint, string][] = [];
    items.forEachWithPrefix(['a'], (value, key) => {
      seen.push([key[1], value]);
    });
    expect(seen).toEqual([
      [3n, 'three'],
      [1n, 'new-1'],
      [4n, 'four'],
    ]);
    expect(items.countWithPrefix(['a'])).toBe(3);
    await store.close();
  });

  it('given entries persisted in several pages, then a range visit finds exactly those in the range and can stop', async () => {
    const store = await openStore(10);
    const deadlines = store.column<[number, bigint], number>('deadlines', 2);
    for (let second = 0; second < 300; second++) deadlines.put([second, BigInt(second)], second * 1000);
    store.commitTransaction(1);
    await store.persist(1);
    deadlines.put([150, 9999n], 150_500);
    store.commitTransaction(2);
    const inRange: number[] = [];
    deadlines.forEachInRange([100], [200], (timeMs) => {
      inRange.push(timeMs);
    });
    expect(inRange).toHaveLength(101);
    expect(inRange.at(-1)).toBe(150_500);
    let visited = 0;
    deadlines.forEachInRange([0], [300], () => ++visited < 5);
    expect(visited).toBe(5);
    await store.close();
  });

  it('given a rolled back transaction over persisted entries, then reads fall back to the persisted values', async () => {
    const store = await openStore(2);
    const jobs = store.column<[bigint], string>('jobs', 1);
    jobs.put([1n], 'persisted');
    store.commitTransaction(1);
    await store.persist(1);
    jobs.put([1n], 'changed');
    jobs.delete(1n);
    store.rollbackTransaction();
    expect(jobs.get(1n)).toBe('persisted');
    await store.close();
  });
});
