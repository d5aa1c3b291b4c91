import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { publishDirectory, removeDirectory, replaceFileAtomically } from '../files/durable-files.js';
import type { RaftSnapshotStore, ReceivedSnapshotChunk, SnapshotChunk, SnapshotSource, SnapshotMetadata as RaftSnapshotPosition } from '../raft/index.js';
import { crc32 } from '../state/crc32.js';
import type { SnapshotStore, StateStore } from '../state/index.js';
import {
  ArchiveLayout,
  SnapshotArchiveError,
  describeFile,
  isArchivableFileName,
  unpackArchive,
  type ArchiveFile,
  type ArchivePosition,
} from './raft-snapshot-store-archive.js';

/**
 * Written into a snapshot directory once the Raft position it covers is known. A directory without a valid one (the
 * broker crashed between the state snapshot and this file) is not a Raft snapshot: it is deleted when the store opens.
 */
export const RAFT_SNAPSHOT_METADATA_FILE_NAME = 'raft-snapshot.json';
export const RAFT_SNAPSHOT_METADATA_FORMAT_VERSION = 1;
const METADATA_PARTIAL_FILE_NAME = `${RAFT_SNAPSHOT_METADATA_FILE_NAME}.partial`;
/** The archive being received. Not ending in .tmp: SnapshotStore.prune deletes those whenever it runs. */
const INCOMING_FILE_NAME = 'incoming.raft-snapshot';
const INSTALLING_SUFFIX = '.installing';
const REPLACED_SUFFIX = '.replaced';
const POSITION_NAME = /^\d+$/;

/** A snapshot Raft can use: the Raft entry it covers, the record position of its state, and where it lives. */
export interface RaftSnapshot extends ArchivePosition {
  directory: string;
}

export interface StateRaftSnapshotStoreOptions {
  /** The partition's state snapshots; this store keeps its files in snapshots.directory too. */
  snapshots: SnapshotStore;
  /**
   * A received snapshot is durable in snapshot.directory: replace the partition's state with it (close the state,
   * delete its directory, restoreSnapshot, reopen). Raft replaces its log after this resolves; if it rejects, the
   * Raft server stops. After a crash at any point the snapshot is `latestSnapshot` on the next open.
   */
  onInstalled: (snapshot: RaftSnapshot) => Promise<void>;
}

/**
 * The partition's snapshots as Raft sees them (RaftServerOptions.snapshots): each state snapshot of SnapshotStore,
 * plus the Raft index and term it covers. A leader serves its latest one as an archive stream (see
 * raft-snapshot-store-archive.ts) to followers behind its compacted log; a follower receives that stream into a
 * temporary file, and on install verifies it, unpacks it into a new snapshot directory (temporary name, fsync,
 * rename: never half visible) and hands it to the partition through onInstalled.
 *
 * Open it before the partition recovers its state: opening deletes leftovers of crashed transfers and snapshot
 * directories that never got their Raft metadata, so that neither Raft nor state recovery uses them.
 */
export class StateRaftSnapshotStore implements RaftSnapshotStore {
  private latestRecord: RaftSnapshot | undefined;
  /** Snapshots a leader may be sending, by "index:term": the latest and those taken while a transfer ran. */
  private readonly readable = new Map<string, { snapshot: RaftSnapshot; layout: ArchiveLayout }>();
  private incoming: { index: number; term: number; totalSizeBytes: number; receivedBytes: number; descriptor: number } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  readonly source: SnapshotSource = {
    read: (index, term, offsetBytes, sizeBytesMax) => this.read(index, term, offsetBytes, sizeBytesMax),
  };

  private constructor(private readonly options: StateRaftSnapshotStoreOptions) {}

  static async open(options: StateRaftSnapshotStoreOptions): Promise<StateRaftSnapshotStore> {
    const store = new StateRaftSnapshotStore(options);
    await mkdir(store.directory, { recursive: true });
    await store.removeLeftovers();
    await store.findLatest();
    return store;
  }

  get directory(): string {
    return this.options.snapshots.directory;
  }

  /** The newest complete snapshot's Raft position, for RaftServerOptions.snapshots (and RaftNode's snapshot). */
  get latest(): RaftSnapshotPosition | undefined {
    const latest = this.latestRecord;
    return latest === undefined ? undefined : { index: latest.index, term: latest.term };
  }

  /** The newest complete snapshot, with its record position and directory (to restore a lost state directory). */
  get latestSnapshot(): RaftSnapshot | undefined {
    return this.latestRecord === undefined ? undefined : { ...this.latestRecord };
  }

  /**
   * Takes a state snapshot (SnapshotStore.take) and records the Raft entry it covers. raftPositionOf maps the record
   * position the snapshot turned out to cover to the committed Raft entry after which the state covers exactly that
   * position; undefined (not committed, or unknown) discards the snapshot. Resolves with the snapshot, to report with
   * RaftServer.snapshotTaken(index, term), or undefined when there was nothing new to snapshot or it was discarded.
   */
  take(state: StateStore, raftPositionOf: (position: number) => { index: number; term: number } | undefined, options: { persistUpTo?: number } = {}): Promise<RaftSnapshot | undefined> {
    return this.serialise(async () => {
      const taken = await this.options.snapshots.take(state, options);
      const known = this.latestRecord;
      if (known !== undefined && known.directory === taken.directory) return undefined;
      try {
        const at = raftPositionOf(taken.position);
        if (at === undefined || (known !== undefined && at.index <= known.index)) {
          await removeDirectory(taken.directory);
          return undefined;
        }
        const files = await describeDirectory(taken.directory);
        const snapshot: RaftSnapshot = { index: at.index, term: at.term, position: taken.position, directory: taken.directory };
        await writeMetadataDurably(taken.directory, snapshot, files);
        this.remember(snapshot, files);
        return { ...snapshot };
      } catch (error) {
        await removeDirectory(taken.directory);
        throw error;
      }
    });
  }

  /** Writes a received chunk at its offset of the incoming archive; offset 0 starts a new one. Synchronous, as Raft calls it. */
  writeChunk(chunk: ReceivedSnapshotChunk): void {
    if (chunk.offsetBytes === 0) {
      this.discardIncoming();
      const descriptor = openSync(join(this.directory, INCOMING_FILE_NAME), 'w');
      this.incoming = { index: chunk.snapshotIndex, term: chunk.snapshotTerm, totalSizeBytes: chunk.totalSizeBytes, receivedBytes: 0, descriptor };
    }
    const incoming = this.incoming;
    if (incoming === undefined || incoming.index !== chunk.snapshotIndex || incoming.term !== chunk.snapshotTerm || incoming.receivedBytes !== chunk.offsetBytes) {
      throw new RangeError(
        `Expected the chunk of snapshot ${incoming?.index}:${incoming?.term} at offset ${incoming?.receivedBytes}, got snapshot ${chunk.snapshotIndex}:${chunk.snapshotTerm} at ${chunk.offsetBytes}`,
      );
    }
    for (let written = 0; written < chunk.bytes.byteLength; ) {
      written += writeSync(incoming.descriptor, chunk.bytes, written, chunk.bytes.byteLength - written, chunk.offsetBytes + written);
    }
    incoming.receivedBytes += chunk.bytes.byteLength;
  }

  /**
   * The whole snapshot arrived: verifies and unpacks it into a new snapshot directory, durably, then lets the
   * partition replace its state (onInstalled). Raft empties its log after this resolves.
   */
  install(snapshot: RaftSnapshotPosition): Promise<void> {
    const incoming = this.incoming;
    if (incoming === undefined || incoming.index !== snapshot.index || incoming.term !== snapshot.term || incoming.receivedBytes !== incoming.totalSizeBytes) {
      return Promise.reject(
        new Error(`Told to install snapshot ${snapshot.index}:${snapshot.term}, but received ${incoming === undefined ? 'none' : `${incoming.receivedBytes} of ${incoming.totalSizeBytes} bytes of ${incoming.index}:${incoming.term}`}`),
      );
    }
    closeSync(incoming.descriptor);
    this.incoming = undefined;
    return this.serialise(async () => {
      const installed = await this.unpackIncoming(snapshot);
      await rm(join(this.directory, INCOMING_FILE_NAME), { force: true });
      await this.options.onInstalled({ ...installed });
      await this.options.snapshots.prune();
    });
  }

  /** Waits for a take or install under way and drops the incoming transfer (the next run starts it over). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.discardIncoming();
    await this.queue;
  }

  // ---- reading ----

  private read(index: number, term: number, offsetBytes: number, sizeBytesMax: number): SnapshotChunk | undefined {
    const key = `${index}:${term}`;
    const readable = this.readable.get(key);
    if (readable === undefined) return undefined;
    const bytes = readable.layout.read(offsetBytes, sizeBytesMax);
    if (bytes === undefined) {
      // Pruned meanwhile (a newer snapshot replaced it): Raft sends the newer one instead.
      this.readable.delete(key);
      return undefined;
    }
    return { bytes, totalSizeBytes: readable.layout.totalSizeBytes };
  }

  private remember(snapshot: RaftSnapshot, files: readonly ArchiveFile[]): void {
    this.readable.set(`${snapshot.index}:${snapshot.term}`, { snapshot, layout: new ArchiveLayout(snapshot.directory, snapshot, files) });
    if (this.latestRecord === undefined || snapshot.index > this.latestRecord.index) this.latestRecord = snapshot;
    // Keep the latest and the one before (a transfer of it may be under way); older ones are pruned from disk anyway.
    const kept = [...this.readable.values()].sort((left, right) => right.snapshot.index - left.snapshot.index).slice(0, 2);
    for (const [key, value] of this.readable) if (!kept.includes(value)) this.readable.delete(key);
  }

  // ---- receiving ----

  private discardIncoming(): void {
    if (this.incoming === undefined) return;
    const descriptor = this.incoming.descriptor;
    this.incoming = undefined;
    ftruncateSync(descriptor, 0);
    closeSync(descriptor);
  }

  private async unpackIncoming(expected: RaftSnapshotPosition): Promise<RaftSnapshot> {
    let installingDirectory: string | undefined;
    try {
      const { at, files } = await unpackArchive(join(this.directory, INCOMING_FILE_NAME), expected, {
        directoryFor: async (position) => {
          installingDirectory = join(this.directory, `${position.position}${INSTALLING_SUFFIX}`);
          await removeDirectory(installingDirectory);
          await mkdir(installingDirectory);
          return installingDirectory;
        },
        writeFile: (directory, name, blocks) => {
          // This store writes its own metadata for what it unpacked; an archive never carries one.
          if (name === RAFT_SNAPSHOT_METADATA_FILE_NAME || name === METADATA_PARTIAL_FILE_NAME) {
            throw new SnapshotArchiveError(`The received snapshot at index ${expected.index} (term ${expected.term}) carries ${name}, which only the receiver writes`);
          }
          return writeBlocksDurably(directory, name, blocks);
        },
      });
      const directory = join(this.directory, String(at.position));
      const snapshot: RaftSnapshot = { ...at, directory };
      await writeMetadataDurably(installingDirectory!, snapshot, files);
      await this.publish(installingDirectory!, directory);
      this.remember(snapshot, files);
      return snapshot;
    } catch (error) {
      if (installingDirectory !== undefined) await removeDirectory(installingDirectory);
      throw error;
    }
  }

  /**
   * Renames the unpacked snapshot into place. A directory of the same position may exist already (a local snapshot
   * of the same state, or one that never got its metadata): it moves aside first, so that either the old or the new
   * one is in place at every moment.
   */
  private async publish(from: string, to: string): Promise<void> {
    const aside = `${to}${REPLACED_SUFFIX}`;
    const replacing = await exists(to);
    if (replacing) {
      await removeDirectory(aside);
      await rename(to, aside);
    }
    await publishDirectory(from, to);
    if (replacing) await removeDirectory(aside);
    for (const [key, readable] of this.readable) if (readable.snapshot.directory === to) this.readable.delete(key);
  }

  // ---- opening ----

  private async removeLeftovers(): Promise<void> {
    await rm(join(this.directory, INCOMING_FILE_NAME), { force: true });
    for (const name of await readdir(this.directory)) {
      if (name.endsWith(INSTALLING_SUFFIX) || name.endsWith(REPLACED_SUFFIX)) await removeDirectory(join(this.directory, name));
    }
  }

  /**
   * The newest snapshot whose Raft metadata and files check out (every file's size and checksum) becomes latest.
   * Newer directories that fail are what a crash left half done: they are deleted, so that state recovery does not
   * pick them either. Older ones are left to SnapshotStore's pruning.
   */
  private async findLatest(): Promise<void> {
    const names = (await readdir(this.directory)).filter((name) => POSITION_NAME.test(name)).sort((left, right) => Number(right) - Number(left));
    const manifests = new Set((await this.options.snapshots.list()).map((snapshot) => snapshot.directory));
    for (const name of names) {
      const directory = join(this.directory, name);
      const found = manifests.has(directory) ? await readVerifiedSnapshot(directory, Number(name)) : undefined;
      if (found !== undefined) {
        this.remember(found.snapshot, found.files);
        return;
      }
      await removeDirectory(directory);
    }
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`The Raft snapshot store in ${this.directory} is closed`));
    const run = this.queue.then(operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

// ---- metadata ----

interface MetadataFile {
  formatVersion: number;
  index: number;
  term: number;
  position: number;
  files: ArchiveFile[];
}

/** Every file of the snapshot directory but this store's own metadata, by name. */
async function describeDirectory(directory: string): Promise<ArchiveFile[]> {
  const names = (await readdir(directory)).filter((name) => name !== RAFT_SNAPSHOT_METADATA_FILE_NAME && name !== METADATA_PARTIAL_FILE_NAME).sort();
  const files: ArchiveFile[] = [];
  for (const name of names) {
    if (!isArchivableFileName(name)) throw new Error(`The snapshot ${directory} holds ${JSON.stringify(name)}, which cannot travel in a snapshot archive`);
    files.push(await describeFile(directory, name));
  }
  return files;
}

/** Written under a temporary name, fsynced and renamed, then the directory fsynced: whole or absent after a crash. */
async function writeMetadataDurably(directory: string, snapshot: ArchivePosition, files: readonly ArchiveFile[]): Promise<void> {
  const body: MetadataFile = { formatVersion: RAFT_SNAPSHOT_METADATA_FORMAT_VERSION, index: snapshot.index, term: snapshot.term, position: snapshot.position, files: [...files] };
  const text = JSON.stringify({ ...body, crc32: crc32(Buffer.from(JSON.stringify(body), 'utf8')) }, null, 2) + '\n';
  const temporaryPath = join(directory, METADATA_PARTIAL_FILE_NAME);
  await replaceFileAtomically(join(directory, RAFT_SNAPSHOT_METADATA_FILE_NAME), text, { fsync: true, syncDirectory: true, temporaryPath });
}

/** The snapshot in directory, when its metadata is whole and every file it lists has the recorded size and checksum. */
async function readVerifiedSnapshot(directory: string, position: number): Promise<{ snapshot: RaftSnapshot; files: ArchiveFile[] } | undefined> {
  let parsed: { [field: string]: unknown };
  try {
    parsed = JSON.parse(await readFile(join(directory, RAFT_SNAPSHOT_METADATA_FILE_NAME), 'utf8')) as { [field: string]: unknown };
  } catch {
    return undefined;
  }
  const { crc32: storedCrc32, ...body } = parsed;
  if (storedCrc32 !== crc32(Buffer.from(JSON.stringify(body), 'utf8')) || !isMetadataFile(body) || body.position !== position) return undefined;
  const onDisk = await describeDirectory(directory).catch(() => undefined);
  if (onDisk === undefined || JSON.stringify(onDisk) !== JSON.stringify(body.files)) return undefined;
  return { snapshot: { index: body.index, term: body.term, position: body.position, directory }, files: body.files };
}

function isMetadataFile(value: { [field: string]: unknown }): value is { [field: string]: unknown } & MetadataFile {
  const counts = ['formatVersion', 'index', 'term', 'position'];
  if (!counts.every((field) => Number.isSafeInteger(value[field]) && (value[field] as number) >= 0)) return false;
  if (value.formatVersion !== RAFT_SNAPSHOT_METADATA_FORMAT_VERSION || !Array.isArray(value.files)) return false;
  return value.files.every((file: unknown) => {
    const candidate = file as { [field: string]: unknown } | null;
    return typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && Number.isSafeInteger(candidate.sizeBytes) && Number.isSafeInteger(candidate.crc32);
  });
}

// ---- files ----

async function writeBlocksDurably(directory: string, name: string, blocks: AsyncIterable<Buffer>): Promise<void> {
  const handle = await open(join(directory, name), 'wx');
  try {
    for await (const block of blocks) await handle.write(block);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
