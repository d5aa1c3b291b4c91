import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteWriter, decodeValue } from '../protocol/index.js';
import { crc32 } from './crc32.js';
import { publishDirectory, removeDirectory, writeFileDurably } from '../files/durable-files.js';
import { Pacer } from '../files/pacer.js';
import { StateError } from './errors.js';
import { POSITION_KEY, STATE_FORMAT_VERSION, isMetaKey } from './format.js';
import { readAllEntries, type RocksDatabase } from './rocksdb.js';
import {
  METADATA_FILE_NAME,
  SNAPSHOT_FORMAT_VERSION,
  chunkFileName,
  serializeManifest,
  toSnapshotMetadata,
  type ChunkDescriptor,
  type SnapshotManifest,
} from './snapshot-format.js';
import type { SnapshotMetadata } from './types.js';

export const CHUNK_SIZE_BYTES_MAX_DEFAULT = 16 * 1024 * 1024;
const SNAPSHOT_BATCH_SIZE_ENTRIES = 1000;

export interface SnapshotWriteOptions {
  /** A chunk is closed once it holds at least this many bytes (a single larger entry makes a larger chunk). */
  chunkSizeBytesMax: number;
  nowMs: () => number;
  /** Asked between batches: true drops the snapshot (its temporary directory is removed) with STATE_CLOSED. */
  isAborted?: () => boolean;
  /**
   * The most of its thread's time the copy may take (0 < f <= 1, default 1): after each batch it sleeps in proportion
   * to the batch's time. The copy runs on the thread that processes the partition's commands, and copying a large
   * state at full speed took that thread for a minute (500,000 waiting instances: 3.5 million entries).
   */
  busyFractionMax?: number;
}

/** The share of its thread a periodic snapshot takes at most (SnapshotWriteOptions.busyFractionMax). */
export const SNAPSHOT_BUSY_FRACTION_DEFAULT = 0.25;

/** Where to write the snapshot: a directory, or a function of the position it turns out to cover. */
export type SnapshotTarget = string | ((position: number) => string);

/**
 * Copies everything RocksDB holds, through one iterator and so one implicit RocksDB snapshot, into `${target}.tmp`,
 * then publishes it under `target`. Reading the position through the same iterator (meta entries sort first) is what
 * makes data and position agree even while later persists go on.
 */
export async function writeSnapshot(database: RocksDatabase, target: SnapshotTarget, options: SnapshotWriteOptions): Promise<SnapshotMetadata> {
  let position: number | undefined;
  let chunks: ChunkWriter | undefined;
  const pacer = new Pacer(options.busyFractionMax ?? 1);
  try {
    for await (const entries of readAllEntries(database, SNAPSHOT_BATCH_SIZE_ENTRIES)) {
      // A large state takes many seconds to copy; a closing store must not wait for it (a broker's graceful stop).
      if (options.isAborted?.() === true) throw abortedError();
      for (const [key, value] of entries) {
        if (isMetaKey(key)) {
          if (key.equals(POSITION_KEY)) position = decodeValue(value) as number;
          continue;
        }
        chunks ??= await ChunkWriter.create(resolveTarget(target, position), options.chunkSizeBytesMax);
        if (chunks.add(key, value)) await chunks.flush();
      }
      await pacer.pace();
    }
    chunks ??= await ChunkWriter.create(resolveTarget(target, position), options.chunkSizeBytesMax);
    await chunks.flush();
    return await chunks.publish(position!, options.nowMs());
  } catch (error) {
    if (chunks !== undefined) await removeDirectory(chunks.temporaryDirectory);
    throw error;
  }
}

function abortedError(): StateError {
  return new StateError('STATE_CLOSED', 'Expected the state to stay open while a snapshot of it was written, but it was closed; the snapshot is dropped');
}

function resolveTarget(target: SnapshotTarget, position: number | undefined): string {
  if (position === undefined) throw new StateError('STATE_CORRUPTED', 'Expected the state to hold its position before any data, but it holds none');
  return typeof target === 'string' ? target : target(position);
}

/** Collects framed entries into chunk files of about chunkSizeBytesMax, each fsynced and checksummed. */
class ChunkWriter {
  private readonly buffer: ByteWriter;
  private readonly chunks: ChunkDescriptor[] = [];
  private chunkEntryCount = 0;
  private entryCount = 0;

  private constructor(
    private readonly directory: string,
    readonly temporaryDirectory: string,
    private readonly chunkSizeBytesMax: number,
  ) {
    this.buffer = new ByteWriter(Math.min(chunkSizeBytesMax, CHUNK_SIZE_BYTES_MAX_DEFAULT) + 64 * 1024);
  }

  static async create(directory: string, chunkSizeBytesMax: number): Promise<ChunkWriter> {
    if (existsSync(directory)) throw new StateError('DIRECTORY_NOT_EMPTY', `Expected to write a snapshot to ${directory}, but it exists already`, { directory });
    const temporaryDirectory = `${directory}.tmp`;
    // A leftover of a snapshot that crashed half-way: never published, so nothing refers to it.
    await removeDirectory(temporaryDirectory);
    await mkdir(temporaryDirectory, { recursive: true });
    return new ChunkWriter(directory, temporaryDirectory, chunkSizeBytesMax);
  }

  /** Frames one entry; returns true when the chunk is full and should be flushed. */
  add(key: Buffer, value: Buffer): boolean {
    this.buffer.bytes(key);
    this.buffer.bytes(value);
    this.chunkEntryCount++;
    return this.buffer.offset >= this.chunkSizeBytesMax;
  }

  async flush(): Promise<void> {
    if (this.chunkEntryCount === 0) return;
    const data = this.buffer.buffer.subarray(0, this.buffer.offset);
    const file = chunkFileName(this.chunks.length);
    await writeFileDurably(join(this.temporaryDirectory, file), data);
    this.chunks.push({ file, sizeBytes: data.length, entryCount: this.chunkEntryCount, crc32: crc32(data) });
    this.entryCount += this.chunkEntryCount;
    this.chunkEntryCount = 0;
    this.buffer.offset = 0;
  }

  async publish(position: number, createdAtMs: number): Promise<SnapshotMetadata> {
    const manifest: SnapshotManifest = {
      snapshotFormatVersion: SNAPSHOT_FORMAT_VERSION,
      stateFormatVersion: STATE_FORMAT_VERSION,
      position,
      createdAtMs,
      entryCount: this.entryCount,
      sizeBytes: this.chunks.reduce((sum, chunk) => sum + chunk.sizeBytes, 0),
      chunks: this.chunks,
    };
    await writeFileDurably(join(this.temporaryDirectory, METADATA_FILE_NAME), serializeManifest(manifest));
    await publishDirectory(this.temporaryDirectory, this.directory);
    return toSnapshotMetadata(manifest, this.directory);
  }
}
