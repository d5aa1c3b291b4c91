import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Value } from '../protocol/index.js';
import { SnapshotStore, StateStore, restoreSnapshot, type KeyPart } from '../state/index.js';
import { ArchiveLayout, SnapshotArchiveError, describeFile, unpackArchive } from './raft-snapshot-store-archive.js';
import { RAFT_SNAPSHOT_METADATA_FILE_NAME, StateRaftSnapshotStore, type RaftSnapshot } from './raft-snapshot-store.js';

const directories: string[] = [];
const closeables: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const closeable of closeables.splice(0).reverse()) await closeable.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function newDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-raft-snapshots-'));
  directories.push(directory);
  return directory;
}

async function openState(directory: string): Promise<StateStore> {
  const state = await StateStore.open({ directory, nowMs: () => 1_700_000_000_000 });
  closeables.push(state);
  return state;
}

/** Commits `count` transactions (positions from firstPosition on) into two columns. */
function fill(state: StateStore, count: number, firstPosition = 1): void {
  const jobs = state.column<[bigint], Value>('jobs', 1);
  const byType = state.column<[string, bigint], boolean>('jobs-by-type', 2);
  for (let offset = 0; offset < count; offset++) {
    const key = 2n ** 55n + BigInt(firstPosition + offset);
    jobs.put([key], { type: `type-${offset % 3}`, retries: offset, payload: 'x'.repeat(60) });
    byType.put([`type-${offset % 3}`, key], true);
    state.commitTransaction(firstPosition + offset);
  }
}

function dump(state: StateStore): Array<[string, KeyPart[], Value]> {
  const entries: Array<[string, KeyPart[], Value]> = [];
  for (const [name, keyLength] of [['jobs', 1], ['jobs-by-type', 2]] as const) {
    state.column<KeyPart[], Value>(name, keyLength).forEachWithPrefix([], (value, key) => {
      entries.push([name, key, value]);
    });
  }
  return entries;
}

interface Replica {
  dataDirectory: string;
  snapshots: SnapshotStore;
  store: StateRaftSnapshotStore;
  installed: RaftSnapshot[];
  /** The state the replica restored from the last installed snapshot. */
  restored: StateStore | undefined;
}

/** A partition's snapshot side: its onInstalled restores the snapshot into a fresh state directory, as a partition does. */
async function openReplica(dataDirectory: string): Promise<Replica> {
  const snapshots = new SnapshotStore({ dataDirectory, chunkSizeBytesMax: 2048 });
  const replica: Replica = { dataDirectory, snapshots, store: undefined!, installed: [], restored: undefined };
  replica.store = await StateRaftSnapshotStore.open({
    snapshots,
    onInstalled: async (snapshot) => {
      replica.installed.push(snapshot);
      await replica.restored?.close();
      const stateDirectory = join(dataDirectory, 'state');
      await rm(stateDirectory, { recursive: true, force: true });
      await restoreSnapshot(snapshot.directory, stateDirectory);
      replica.restored = await openState(stateDirectory);
    },
  });
  closeables.push(replica.store);
  return replica;
}

/** Positions 1..n were committed as Raft entries 10 + position of term 3. */
const raftPositionOf = (position: number) => ({ index: 10 + position, term: 3 });

/** Reads the whole snapshot from the leader in chunks of chunkSizeBytes, as Raft would. */
function readChunks(leader: StateRaftSnapshotStore, snapshot: { index: number; term: number }, chunkSizeBytes: number): { offsetBytes: number; bytes: Uint8Array; totalSizeBytes: number }[] {
  const chunks = [];
  for (let offsetBytes = 0; ; ) {
    const chunk = leader.source.read(snapshot.index, snapshot.term, offsetBytes, chunkSizeBytes);
    if (chunk === undefined) throw new Error(`The leader cannot read its snapshot at ${offsetBytes}`);
    chunks.push({ offsetBytes, bytes: chunk.bytes, totalSizeBytes: chunk.totalSizeBytes });
    offsetBytes += chunk.bytes.byteLength;
    if (offsetBytes >= chunk.totalSizeBytes) return chunks;
  }
}

function send(follower: StateRaftSnapshotStore, snapshot: { index: number; term: number }, chunks: ReturnType<typeof readChunks>): void {
  for (const chunk of chunks) follower.writeChunk({ snapshotIndex: snapshot.index, snapshotTerm: snapshot.term, ...chunk });
}

async function leaderWithSnapshot(entryCount: number): Promise<{ leader: Replica; state: StateStore; snapshot: RaftSnapshot }> {
  const leader = await openReplica(await newDirectory());
  const state = await openState(join(leader.dataDirectory, 'state'));
  fill(state, entryCount);
  const snapshot = (await leader.store.take(state, raftPositionOf))!;
  return { leader, state, snapshot };
}

describe('StateRaftSnapshotStore', () => {
  it('sends a taken snapshot in chunks that a follower installs as the same state', async () => {
    // given a leader that took a snapshot of 400 committed transactions (several chunk files)
    const { leader, state, snapshot } = await leaderWithSnapshot(400);
    expect(snapshot).toMatchObject({ index: 410, term: 3, position: 400 });
    expect(leader.store.latest).toEqual({ index: 410, term: 3 });

    // when a follower receives it in chunks of 1,000 bytes and installs it
    const follower = await openReplica(await newDirectory());
    const chunks = readChunks(leader.store, snapshot, 1000);
    expect(chunks.length).toBeGreaterThan(10);
    send(follower.store, snapshot, chunks);
    await follower.store.install({ index: 410, term: 3 });

    // then the partition restored exactly the leader's state, and the snapshot is the follower's latest, also after a restart
    expect(follower.installed).toEqual([{ index: 410, term: 3, position: 400, directory: join(follower.dataDirectory, 'snapshots', '400') }]);
    expect(follower.restored!.position).toBe(400);
    expect(dump(follower.restored!)).toEqual(dump(state));
    expect(follower.store.latest).toEqual({ index: 410, term: 3 });
    await follower.store.close();
    const reopened = await openReplica(follower.dataDirectory);
    expect(reopened.store.latestSnapshot).toMatchObject({ index: 410, term: 3, position: 400 });
    expect(await readdir(join(follower.dataDirectory, 'snapshots'))).toEqual(['400']);
    // and the follower can in turn serve the same bytes
    expect(Buffer.concat(readChunks(reopened.store, snapshot, 4096).map((chunk) => chunk.bytes))).toEqual(Buffer.concat(chunks.map((chunk) => chunk.bytes)));
  });

  it('records the Raft entry of the position the snapshot covers, and discards a snapshot of no committed entry', async () => {
    // given
    const leader = await openReplica(await newDirectory());
    const state = await openState(join(leader.dataDirectory, 'state'));
    fill(state, 50);

    // when the partition cannot map the position to a committed entry
    const discarded = await leader.store.take(state, () => undefined);

    // then nothing is kept, for Raft nor for state recovery
    expect(discarded).toBeUndefined();
    expect(leader.store.latest).toBeUndefined();
    expect(await leader.snapshots.latest()).toBeUndefined();

    // when it can, a later take records it, and one with nothing new to cover takes nothing
    expect(await leader.store.take(state, raftPositionOf)).toMatchObject({ index: 60, term: 3, position: 50 });
    expect(await leader.store.take(state, raftPositionOf)).toBeUndefined();
    expect(leader.store.source.read(61, 3, 0, 100)).toBeUndefined();
    expect(leader.store.source.read(60, 2, 0, 100)).toBeUndefined();
  });

  it('starts cleanly after a restart in the middle of receiving, and never uses the half snapshot', async () => {
    // given a follower that received half of a snapshot, and half unpacked an earlier one, when it crashed
    const { leader, snapshot } = await leaderWithSnapshot(300);
    const dataDirectory = await newDirectory();
    const crashed = await openReplica(dataDirectory);
    const chunks = readChunks(leader.store, snapshot, 700);
    send(crashed.store, snapshot, chunks.slice(0, chunks.length / 2));
    await mkdir(join(dataDirectory, 'snapshots', '123.installing'));
    await writeFile(join(dataDirectory, 'snapshots', '123.installing', 'chunk-000000.bin'), 'half');
    expect(existsSync(join(dataDirectory, 'snapshots', 'incoming.raft-snapshot'))).toBe(true);

    // when it restarts
    const restarted = await openReplica(dataDirectory);

    // then nothing of either is left or used
    expect(restarted.store.latest).toBeUndefined();
    expect(await restarted.snapshots.latest()).toBeUndefined();
    expect(await readdir(join(dataDirectory, 'snapshots'))).toEqual([]);
    // and a snapshot it did not fully receive is refused
    send(restarted.store, snapshot, chunks.slice(0, 2));
    await expect(restarted.store.install(snapshot)).rejects.toThrow(`received ${chunks[0].bytes.byteLength + chunks[1].bytes.byteLength} of ${chunks[0].totalSizeBytes} bytes`);
    // and the transfer Raft starts over from offset 0 installs
    send(restarted.store, snapshot, chunks);
    await restarted.store.install(snapshot);
    expect(restarted.installed.map((installed) => installed.index)).toEqual([snapshot.index]);
  });

  it('refuses a received snapshot that does not verify, leaving the previous one in place', async () => {
    // given a follower with a snapshot of its own, receiving one whose bytes were damaged on the way
    const { leader, snapshot } = await leaderWithSnapshot(200);
    const follower = await openReplica(await newDirectory());
    const followerState = await openState(join(follower.dataDirectory, 'own-state'));
    fill(followerState, 20);
    await follower.store.take(followerState, raftPositionOf);
    const chunks = readChunks(leader.store, snapshot, 500);
    const damaged = Buffer.from(chunks[3].bytes);
    damaged[100] ^= 0x01;
    chunks[3] = { ...chunks[3], bytes: damaged };

    // when it installs it
    send(follower.store, snapshot, chunks);
    const installing = follower.store.install(snapshot);

    // then it is refused, nothing half written is visible, and the follower's latest is its own
    await expect(installing).rejects.toThrow(SnapshotArchiveError);
    await expect(installing).rejects.toThrow(/is corrupted/);
    expect(follower.installed).toEqual([]);
    expect(follower.store.latest).toEqual({ index: 30, term: 3 });
    expect((await readdir(join(follower.dataDirectory, 'snapshots'))).sort()).toEqual(['20', 'incoming.raft-snapshot']);
  });

  it('ignores a snapshot that was not fully flushed before a crash, in Raft and in state recovery', async () => {
    for (const damage of ['no Raft metadata', 'partial Raft metadata', 'truncated chunk'] as const) {
      // given a replica with a complete snapshot at position 100 and a newer one at 200
      const replica = await openReplica(await newDirectory());
      const state = await openState(join(replica.dataDirectory, 'state'));
      fill(state, 100);
      await replica.store.take(state, raftPositionOf);
      fill(state, 100, 101);
      await replica.store.take(state, raftPositionOf);
      expect(replica.store.latest, damage).toEqual({ index: 210, term: 3 });
      await replica.store.close();

      // when the newer one lost part of its files in a crash
      const newer = join(replica.dataDirectory, 'snapshots', '200');
      if (damage === 'no Raft metadata') await rm(join(newer, RAFT_SNAPSHOT_METADATA_FILE_NAME));
      if (damage === 'partial Raft metadata') {
        const metadata = await readFile(join(newer, RAFT_SNAPSHOT_METADATA_FILE_NAME), 'utf8');
        await writeFile(join(newer, RAFT_SNAPSHOT_METADATA_FILE_NAME), metadata.slice(0, metadata.length / 2));
      }
      if (damage === 'truncated chunk') await truncate(join(newer, 'chunk-000001.bin'), 10);
      const restarted = await openReplica(replica.dataDirectory);

      // then Raft's latest is the older one, and state recovery no longer finds the damaged one either
      expect(restarted.store.latestSnapshot, damage).toMatchObject({ index: 110, term: 3, position: 100 });
      expect((await restarted.snapshots.latest())?.position, damage).toBe(100);
      expect(existsSync(newer), damage).toBe(false);
    }
  });

  it('writes archive format 1 byte for byte, and refuses an archive of another format version', async () => {
    // given a snapshot directory of two small files
    const directory = await newDirectory();
    await writeFile(join(directory, 'a.bin'), 'hello');
    await writeFile(join(directory, 'metadata.json'), '{}');
    const files = [await describeFile(directory, 'a.bin'), await describeFile(directory, 'metadata.json')];

    // when it is laid out as the archive of index 7, term 2, position 42
    const layout = new ArchiveLayout(directory, { index: 7, term: 2, position: 42 }, files);

    // then the bytes are the documented ones (computed independently from the format description)
    const expected =
      '545242534e4150410100000002000000070000000000000002000000000000002a0000000000000065ea0301' +
      '0500612e62696e050000000000000086a61036563f461368656c6c6f' +
      '0d006d657461646174612e6a736f6e020000000000000043bfa6a38d9c44e87b7d';
    expect(layout.totalSizeBytes).toBe(105);
    expect(layout.read(0, 1000)!.toString('hex')).toBe(expected);
    expect(Buffer.concat([layout.read(0, 50)!, layout.read(50, 50)!, layout.read(100, 50)!]).toString('hex')).toBe(expected);

    // and a receiver refuses the same archive marked as format 2
    const archive = Buffer.from(expected, 'hex');
    archive.writeUInt16LE(2, 8);
    const archivePath = join(directory, 'archive');
    await writeFile(archivePath, archive);
    const target = { directoryFor: () => Promise.reject(new Error('not expected')), writeFile: () => Promise.reject(new Error('not expected')) };
    const unpacking = unpackArchive(archivePath, { index: 7, term: 2 }, target);
    await expect(unpacking).rejects.toThrow(SnapshotArchiveError);
    await expect(unpacking).rejects.toThrow('has archive format 2, but this build reads format 1');
  });
});
