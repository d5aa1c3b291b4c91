import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeValue, type Value } from '../protocol/index.js';
import { FORMAT_VERSION_KEY } from './format.js';
import { StateError, StateStore, type Column, type KeyPart } from './index.js';
import { openRocksDatabase } from './rocksdb.js';

const directories: string[] = [];
const stores: StateStore[] = [];

async function newDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-state-'));
  directories.push(directory);
  return directory;
}

async function openStore(directory: string): Promise<StateStore> {
  const store = await StateStore.open({ directory });
  stores.push(store);
  return store;
}

function entriesOf<K extends readonly KeyPart[], V extends Value>(column: Column<K, V>, prefix: KeyPart[] = []): Array<[K, V]> {
  const entries: Array<[K, V]> = [];
  column.forEachWithPrefix(prefix, (value, key) => {
    entries.push([key, value]);
  });
  return entries;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

const BIG_KEY = 2n ** 60n + 7n;

describe('StateStore reads and writes', () => {
  it('puts, gets and deletes entries with composite keys', async () => {
    // given a new state with a column keyed by (bigint, number, string)
    const store = await openStore(await newDirectory());
    const column = store.column<[bigint, number, string], Value>('things', 3);

    // when putting entries with bigints above 2^53 and negative numbers
    column.put([BIG_KEY, -5, 'a'], { name: 'first', amount: 2n ** 62n });
    column.put([BIG_KEY, 3.5, 'b'], [1, 'two', null]);
    column.put([-BIG_KEY, -5, 'a'], new Uint8Array([1, 2, 3]));
    column.put([0n, 0, ''], null);

    // then each reads back at once, and a neighbouring key is distinct
    expect(column.get(BIG_KEY, -5, 'a')).toEqual({ name: 'first', amount: 2n ** 62n });
    expect(column.get(BIG_KEY, 3.5, 'b')).toEqual([1, 'two', null]);
    expect(column.get(-BIG_KEY, -5, 'a')).toEqual(new Uint8Array([1, 2, 3]));
    expect(column.get(BIG_KEY + 1n, -5, 'a')).toBeUndefined();
    expect(column.has(BIG_KEY, -5, 'a')).toBe(true);
    expect(column.get(0n, 0, '')).toBeNull();
    expect(column.has(0n, 0, '')).toBe(true);

    // when deleting one
    column.delete(BIG_KEY, -5, 'a');

    // then it is gone and the others stay
    expect(column.get(BIG_KEY, -5, 'a')).toBeUndefined();
    expect(column.has(BIG_KEY, -5, 'a')).toBe(false);
    expect(column.countWithPrefix([])).toBe(3);
  });

  it('visits and counts entries by prefix, in insertion order, and stops when the visitor returns false', async () => {
    // given children of two parents, inserted out of key order
    const store = await openStore(await newDirectory());
    const children = store.column<[bigint, bigint], boolean>('children', 2);
    children.put([2n, 30n], true);
    children.put([1n, 20n], true);
    children.put([2n, 10n], true);
    children.put([2n, 20n], false);

    // when visiting and counting by prefix
    const visited = entriesOf(children, [2n]).map(([key]) => key[1]);
    const firstTwo: bigint[] = [];
    children.forEachWithPrefix([], (_value, key) => {
      firstTwo.push(key[1]);
      return firstTwo.length < 2;
    });

    // then only the prefix's entries come, in insertion order, and counts agree
    expect(visited).toEqual([30n, 10n, 20n]);
    expect(firstTwo).toEqual([30n, 10n]);
    expect(children.countWithPrefix([2n])).toBe(3);
    expect(children.countWithPrefix([1n])).toBe(1);
    expect(children.countWithPrefix([3n])).toBe(0);
    expect(children.countWithPrefix([])).toBe(4);
    expect(children.countWithPrefix([2n, 10n])).toBe(1);
  });

  it('persists the net effect of a window of transactions: the last value wins, a short-lived entry leaves nothing', async () => {
    // given several transactions persisted together, overwriting one key and creating and deleting another
    const directory = await newDirectory();
    const store = await openStore(directory);
    const jobs = store.column<[bigint], { retries: number }>('jobs', 1);
    jobs.put([1n], { retries: 3 });
    jobs.put([2n], { retries: 9 });
    store.commitTransaction(1);
    await store.persist(1);
    jobs.put([1n], { retries: 2 });
    jobs.put([3n], { retries: 1 });
    store.commitTransaction(2);
    jobs.put([1n], { retries: 1 });
    jobs.delete(3n);
    jobs.delete(2n);
    store.commitTransaction(3);
    await store.persist(3);
    await store.close();

    // when reopening
    const reopened = await openStore(directory);
    const reopenedJobs = reopened.column<[bigint], { retries: number }>('jobs', 1);

    // then RocksDB has the last values and neither the short-lived nor the deleted entry
    expect(reopenedJobs.get(1n)).toEqual({ retries: 1 });
    expect(reopenedJobs.has(2n)).toBe(false);
    expect(reopenedJobs.has(3n)).toBe(false);
    expect(reopened.persistedPosition).toBe(3);
  });

  it('persists a window whose keys are written again after it, a rolled-back rewrite, and null as a value', async () => {
    // given a key written in two windows, a rewrite rolled back, and a null value
    const directory = await newDirectory();
    const store = await openStore(directory);
    const flags = store.column<[bigint], Value>('flags', 1);
    flags.put([1n], 'first');
    flags.put([2n], null);
    flags.put([3n], 'kept');
    store.commitTransaction(1);
    flags.put([1n], 'second');
    flags.delete(3n);
    store.commitTransaction(2);
    flags.put([1n], 'rolled back');
    flags.delete(2n);
    store.rollbackTransaction();

    // when only the first window is persisted before the store closes
    await store.persist(1);
    await store.close();
    const reopened = await openStore(directory);
    const reopenedFlags = reopened.column<[bigint], Value>('flags', 1);

    // then RocksDB holds that window's values, the null one included
    expect([reopenedFlags.get(1n), reopenedFlags.get(2n), reopenedFlags.has(2n), reopenedFlags.get(3n)]).toEqual(['first', null, true, 'kept']);
    expect(reopened.persistedPosition).toBe(1);
  });

  it('rejects keys of the wrong length and positions that do not increase', async () => {
    const store = await openStore(await newDirectory());
    const column = store.column<[bigint, bigint], number>('pairs', 2);
    expect(() => column.put([1n] as unknown as [bigint, bigint], 1)).toThrow(/2 parts, but got 1/);
    expect(() => store.column('pairs', 3)).toThrow(StateError);
    store.commitTransaction(5);
    expect(() => store.commitTransaction(5)).toThrow(/after 5/);
  });
});

describe('StateStore transactions', () => {
  it('rolls back overwrites, deletions and insertions, keeping the earlier visiting order', async () => {
    // given committed entries a, b, c
    const store = await openStore(await newDirectory());
    const column = store.column<[string], number>('letters', 1);
    column.put(['a'], 1);
    column.put(['b'], 2);
    column.put(['c'], 3);
    store.commitTransaction(1);

    // when a transaction overwrites a, deletes b, inserts d, deletes and re-puts c, then rolls back
    column.put(['a'], 10);
    column.delete('b');
    column.put(['d'], 4);
    column.delete('c');
    column.put(['c'], 30);
    expect(entriesOf(column)).toEqual([[['a'], 10], [['c'], 30], [['d'], 4]]);
    store.rollbackTransaction();

    // then the state is exactly as committed, order included
    expect(entriesOf(column)).toEqual([[['a'], 1], [['b'], 2], [['c'], 3]]);
    expect(column.countWithPrefix([])).toBe(3);
    expect(store.position).toBe(1);
  });

  it('rolls back entries under new prefixes without leaving empty branches behind', async () => {
    // given an empty two-part column
    const store = await openStore(await newDirectory());
    const column = store.column<[bigint, string], number>('scoped', 2);
    column.put([1n, 'x'], 1);
    store.commitTransaction(1);

    // when a rolled-back transaction wrote under a new prefix, and a later one writes under another
    column.put([2n, 'y'], 2);
    store.rollbackTransaction();
    column.put([3n, 'z'], 3);
    column.put([2n, 'y'], 2);
    store.commitTransaction(2);

    // then prefixes come in the order of their first committed write
    expect(entriesOf(column).map(([key]) => key[0])).toEqual([1n, 3n, 2n]);
  });
});

describe('StateStore persistence', () => {
  it('restores data and position after persist and reopen, visiting entries in key order', async () => {
    // given entries committed out of key order and persisted
    const directory = await newDirectory();
    const store = await openStore(directory);
    const column = store.column<[bigint, number], string>('ordered', 2);
    column.put([BIG_KEY, 2], 'big-2');
    column.put([-3n, 1], 'negative');
    column.put([BIG_KEY, -1], 'big-minus-1');
    store.commitTransaction(7);
    column.delete(-3n, 1);
    column.put([0n, 0], 'zero');
    store.commitTransaction(9);
    await store.persist(9);
    expect(store.persistedPosition).toBe(9);
    await store.close();

    // when reopening
    const reopened = await openStore(directory);
    const reopenedColumn = reopened.column<[bigint, number], string>('ordered', 2);

    // then data and position are back, in key order
    expect(reopened.position).toBe(9);
    expect(reopened.persistedPosition).toBe(9);
    expect(entriesOf(reopenedColumn)).toEqual([
      [[0n, 0], 'zero'],
      [[BIG_KEY, -1], 'big-minus-1'],
      [[BIG_KEY, 2], 'big-2'],
    ]);
  });

  it('loses committed transactions that were not persisted, and keeps those persisted', async () => {
    // given three committed transactions of which persist covered two
    const directory = await newDirectory();
    const store = await openStore(directory);
    const column = store.column<[string], number>('counters', 1);
    for (const position of [1, 2, 3]) {
      column.put([`at-${position}`], position);
      store.commitTransaction(position);
    }
    await store.persist(2);
    expect(store.pendingTransactionCount).toBe(1);

    // when closing without persisting the third, and reopening
    await store.close();
    const reopened = await openStore(directory);

    // then the third is absent (the log would replay it) and the position says so
    expect(reopened.position).toBe(2);
    expect(entriesOf(reopened.column<[string], number>('counters', 1))).toEqual([
      [['at-1'], 1],
      [['at-2'], 2],
    ]);
  });

  it('persists when due only once committed transactions hold persistWritesMin writes, and then all up to the position', async () => {
    // given a store that gathers 4 writes before persisting when due
    const directory = await newDirectory();
    const store = await StateStore.open({ directory, persistWritesMin: 4 });
    stores.push(store);
    const column = store.column<[string], number>('counters', 1);
    const commit = (position: number, writes: number): void => {
      for (let index = 0; index < writes; index++) column.put([`at-${position}-${index}`], position);
      store.commitTransaction(position);
    };

    // when transactions of 1 and 2 writes commit, then one of 1 write
    commit(1, 1);
    commit(2, 2);
    await store.persistWhenDue(2);
    const persistedBefore = store.persistedPosition;
    commit(3, 1);
    await store.persistWhenDue(3);

    // then nothing was persisted at 3 writes, and everything up to position 3 at 4
    expect(persistedBefore).toBe(0);
    expect(store.persistedPosition).toBe(3);
    expect(store.pendingTransactionCount).toBe(0);
    expect(column.get('at-2-1')).toBe(2);
  });

  it('refuses a persistWritesMin that is not a whole number', async () => {
    const directory = await newDirectory();
    await expect(StateStore.open({ directory, persistWritesMin: 1.5 })).rejects.toThrow('Expected persistWritesMin to be a whole number >= 0, but got 1.5');
  });

  it('refuses a directory written in another state format version', async () => {
    // given a state directory whose format version is not this build's
    const directory = await newDirectory();
    await (await openStore(directory)).close();
    stores.length = 0;
    const database = await openRocksDatabase(directory);
    const batch = database.batch();
    batch.put(FORMAT_VERSION_KEY, encodeValue(99));
    await batch.write();
    await database.close();

    // when opening it, then it fails naming both versions
    const opening = StateStore.open({ directory });
    await expect(opening).rejects.toThrow(StateError);
    await expect(opening).rejects.toThrow(/format version 99, but this build reads version 1/);
  });
});
