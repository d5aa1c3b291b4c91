import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Value } from '../protocol/index.js';
import { crc32ForTesting } from './crc32.js';
import { SnapshotStore, StateStore, restoreSnapshot, type KeyPart } from './index.js';

const directories: string[] = [];
const stores: StateStore[] = [];

async function newDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-snapshot-'));
  directories.push(directory);
  return directory;
}

async function openStore(directory: string): Promise<StateStore> {
  const store = await StateStore.open({ directory, nowMs: () => 1_700_000_000_000 });
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

/** Fills two columns with `count` entries each, committing one transaction per entry, positions 1..count. */
function fill(store: StateStore, count: number, firstPosition = 1): void {
  const jobs = store.column<[bigint], Value>('jobs', 1);
  const byType = store.column<[string, bigint], boolean>('jobs-by-type', 2);
  for (let index = 0; index < count; index++) {
    const key = 2n ** 55n + BigInt(firstPosition + index);
    jobs.put([key], { type: `type-${index % 3}`, retries: index, payload: 'x'.repeat(50) });
    byType.put([`type-${index % 3}`, key], true);
    store.commitTransaction(firstPosition + index);
  }
}

function dump(store: StateStore): Array<[string, KeyPart[], Value]> {
  const entries: Array<[string, KeyPart[], Value]> = [];
  for (const [name, keyLength] of [['jobs', 1], ['jobs-by-type', 2]] as const) {
    store.column<KeyPart[], Value>(name, keyLength).forEachWithPrefix([], (value, key) => {
      entries.push([name, key, value]);
    });
  }
  return entries;
}

async function takeSnapshotOf(entryCount: number): Promise<{ store: StateStore; snapshotDirectory: string }> {
  const store = await openStore(await newDirectory());
  fill(store, entryCount);
  const snapshotDirectory = join(await newDirectory(), 'snapshot');
  await store.takeSnapshot(snapshotDirectory, { chunkSizeBytesMax: 4096 });
  return { store, snapshotDirectory };
}

describe('snapshots', () => {
  it('given a snapshot under way, when the store closes, then the snapshot is dropped, not waited for, and leaves nothing behind', async () => {
    // given a state of many batches of entries, and a snapshot of it started
    const store = await openStore(await newDirectory());
    fill(store, 20_000);
    await store.persist(store.position);
    const snapshotDirectory = join(await newDirectory(), 'snapshot');
    const snapshot = store.takeSnapshot(snapshotDirectory, { chunkSizeBytesMax: 4096 });
    const outcome = snapshot.then(
      () => 'written',
      (error: Error) => error.message,
    );

    // when the store closes at once
    await store.close();

    // then the snapshot was dropped with a reason, and neither it nor its temporary directory exists
    expect(await outcome).toMatch(/closed; the snapshot is dropped/);
    expect(existsSync(snapshotDirectory)).toBe(false);
    expect(existsSync(`${snapshotDirectory}.tmp`)).toBe(false);
  });

  it('restores into a fresh directory with identical data and position', async () => {
    // given a state with committed (not yet persisted) transactions
    const store = await openStore(await newDirectory());
    fill(store, 500);

    // when taking a snapshot in small chunks and restoring it elsewhere
    const snapshotDirectory = join(await newDirectory(), 'snapshot');
    const taken = await store.takeSnapshot(snapshotDirectory, { chunkSizeBytesMax: 4096 });
    const stateDirectory = join(await newDirectory(), 'state');
    const restored = await restoreSnapshot(snapshotDirectory, stateDirectory);
    const restoredStore = await openStore(stateDirectory);

    // then the snapshot covers every committed transaction and the restored state equals the original
    expect(taken).toMatchObject({ position: 500, directory: snapshotDirectory, createdAtMs: 1_700_000_000_000 });
    expect(taken.chunkCount).toBeGreaterThan(3);
    expect(restored.position).toBe(500);
    expect(store.persistedPosition).toBe(500);
    expect(restoredStore.position).toBe(500);
    expect(restoredStore.persistedPosition).toBe(500);
    expect(dump(restoredStore).length).toBe(1000);
    expect(dump(restoredStore)).toEqual(dump(await reopen(store)));
    expect(existsSync(`${snapshotDirectory}.tmp`)).toBe(false);
  });

  it('given a snapshot paced to a share of its thread, then it holds the same entries, and the share must be in (0, 1]', async () => {
    // given a state of several batches of entries (1,000 entries a batch)
    const store = await openStore(await newDirectory());
    fill(store, 2_000);

    // when it is copied at a quarter of its thread, and elsewhere at full speed
    const paced = join(await newDirectory(), 'paced');
    const full = join(await newDirectory(), 'full');
    await store.takeSnapshot(paced, { busyFractionMax: 0.25 });
    await store.takeSnapshot(full, { busyFractionMax: 1 });

    // then both restore to the same state, and a share outside (0, 1] is refused
    const pacedState = join(await newDirectory(), 'state');
    const fullState = join(await newDirectory(), 'state');
    await restoreSnapshot(paced, pacedState);
    await restoreSnapshot(full, fullState);
    const pacedStore = await openStore(pacedState);
    const fullStore = await openStore(fullState);
    expect(dump(pacedStore).length).toBe(4_000);
    expect(dump(pacedStore)).toEqual(dump(fullStore));
    await expect(store.takeSnapshot(join(await newDirectory(), 'zero'), { busyFractionMax: 0 })).rejects.toThrow(/busy fraction/);
  });

  it('holds data and position of one moment while persists go on', async () => {
    // given a counter that every transaction sets to its own position
    const store = await openStore(await newDirectory());
    const counter = store.column<[string], number>('counter', 1);
    counter.put(['value'], 1);
    store.commitTransaction(1);

    // when more transactions are committed and persisted while the snapshot is under way
    const snapshotDirectory = join(await newDirectory(), 'snapshot');
    const snapshot = store.takeSnapshot(snapshotDirectory);
    const persists: Array<Promise<void>> = [];
    for (let position = 2; position <= 50; position++) {
      counter.put(['value'], position);
      store.commitTransaction(position);
      persists.push(store.persist(position));
      await Promise.resolve();
    }
    const taken = await snapshot;
    await Promise.all(persists);

    // then the restored counter is the snapshot's own position, though RocksDB moved on meanwhile
    expect(store.persistedPosition).toBe(50);
    const stateDirectory = join(await newDirectory(), 'state');
    await restoreSnapshot(snapshotDirectory, stateDirectory);
    const restored = await openStore(stateDirectory);
    expect(restored.column<[string], number>('counter', 1).get('value')).toBe(taken.position);
  });

  it('refuses to restore a snapshot with a corrupted chunk, naming the chunk', async () => {
    // given a snapshot whose second chunk has one flipped byte
    const { snapshotDirectory } = await takeSnapshotOf(200);
    const chunkPath = join(snapshotDirectory, 'chunk-000001.bin');
    const chunk = await readFile(chunkPath);
    chunk[10] ^= 0xff;
    await writeFile(chunkPath, chunk);

    // when restoring it
    const stateDirectory = join(await newDirectory(), 'state');
    const restoring = restoreSnapshot(snapshotDirectory, stateDirectory);

    // then it fails naming the chunk, and leaves no state directory behind
    await expect(restoring).rejects.toThrow(/chunk chunk-000001\.bin has checksum \d+, but metadata\.json records \d+/);
    expect(existsSync(stateDirectory)).toBe(false);
    expect(existsSync(`${stateDirectory}.restoring`)).toBe(false);
  });

  it('refuses to restore a snapshot whose metadata was altered', async () => {
    // given a snapshot whose metadata claims another position
    const { snapshotDirectory } = await takeSnapshotOf(10);
    const metadataPath = join(snapshotDirectory, 'metadata.json');
    const metadata = await readFile(metadataPath, 'utf8');
    await writeFile(metadataPath, metadata.replace('"position": 10', '"position": 11'));

    // when restoring it, then it fails naming the file
    await expect(restoreSnapshot(snapshotDirectory, join(await newDirectory(), 'state'))).rejects.toThrow(/metadata\.json has checksum/);
  });

  it('refuses to restore over a state directory that holds data', async () => {
    const { store, snapshotDirectory } = await takeSnapshotOf(10);
    await expect(restoreSnapshot(snapshotDirectory, store.directory)).rejects.toThrow(/is not empty; delete it first/);
  });

  it('computes the same CRC-32 with the native and the portable implementation', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32ForTesting.portable(data)).toBe(0x414fa339);
    if (crc32ForTesting.native) expect(crc32ForTesting.native(data)).toBe(0x414fa339);
  });
});

describe('SnapshotStore', () => {
  it('keeps the newest snapshots and deletes older ones', async () => {
    // given a snapshot store that keeps two
    const dataDirectory = await newDirectory();
    const store = await openStore(join(dataDirectory, 'state'));
    const snapshots = new SnapshotStore({ dataDirectory, keepCount: 2 });

    // when taking four snapshots at growing positions
    for (const position of [10, 20, 30, 40]) {
      fill(store, 10, position - 9);
      await snapshots.take(store);
    }

    // then only the newest two remain, and the latest is the last one taken
    expect((await snapshots.list()).map((snapshot) => snapshot.position)).toEqual([30, 40]);
    expect(await readdir(snapshots.directory)).toEqual(['30', '40']);
    expect((await snapshots.latest())?.directory).toBe(join(dataDirectory, 'snapshots', '40'));
  });

  it('returns the latest snapshot instead of taking a new one when nothing was committed since', async () => {
    // given a snapshot of the current state
    const dataDirectory = await newDirectory();
    const store = await openStore(join(dataDirectory, 'state'));
    const snapshots = new SnapshotStore({ dataDirectory });
    fill(store, 5);
    const first = await snapshots.take(store);

    // when taking another without new transactions
    const second = await snapshots.take(store);

    // then it is the same snapshot
    expect(second).toEqual(first);
    expect(await readdir(snapshots.directory)).toEqual(['5']);
  });

  it('removes leftovers of snapshots that crashed half-way when pruning', async () => {
    const dataDirectory = await newDirectory();
    const snapshots = new SnapshotStore({ dataDirectory });
    await (await openStore(join(dataDirectory, 'state'))).close();
    await writeFileEnsuringDirectory(join(snapshots.directory, '12.tmp', 'chunk-000000.bin'));

    await snapshots.prune();

    expect(await readdir(snapshots.directory)).toEqual([]);
  });
});

async function reopen(store: StateStore): Promise<StateStore> {
  await store.close();
  return openStore(store.directory);
}

async function writeFileEnsuringDirectory(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'partial');
}
