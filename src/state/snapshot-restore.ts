import { readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeValue } from '../protocol/index.js';
import { crc32 } from './crc32.js';
import { publishDirectory, removeDirectory } from '../files/durable-files.js';
import { StateError } from './errors.js';
import { FORMAT_VERSION_KEY, POSITION_KEY, STATE_FORMAT_VERSION } from './format.js';
import { openRocksDatabase, type RocksDatabase } from './rocksdb.js';
import { parseChunk, readManifest, toSnapshotMetadata, type ChunkDescriptor, type SnapshotManifest } from './snapshot-format.js';
import type { SnapshotMetadata } from './types.js';

/**
 * Rebuilds a state directory from a snapshot. The state is built in `${stateDirectory}.restoring` and renamed into
 * place only when every chunk has been verified and written, so a failure (a corrupted chunk, a crash) never leaves
 * a half-restored directory that a later open would take for a whole one. An existing, non-empty state directory is
 * refused rather than replaced: deleting state is the operator's (or the broker's) explicit decision.
 */
export async function restoreSnapshot(snapshotDirectory: string, stateDirectory: string): Promise<SnapshotMetadata> {
  const manifest = await readManifest(snapshotDirectory);
  await checkEmptyOrAbsent(stateDirectory);
  const stagingDirectory = `${stateDirectory}.restoring`;
  await removeDirectory(stagingDirectory);
  try {
    const database = await openRocksDatabase(stagingDirectory);
    try {
      await writeEntries(database, manifest, snapshotDirectory);
    } finally {
      await database.close();
    }
    await rmdir(stateDirectory).catch(ignoreMissing);
    await publishDirectory(stagingDirectory, stateDirectory);
  } catch (error) {
    await removeDirectory(stagingDirectory);
    throw error;
  }
  return toSnapshotMetadata(manifest, snapshotDirectory);
}

async function writeEntries(database: RocksDatabase, manifest: SnapshotManifest, snapshotDirectory: string): Promise<void> {
  // One batch per chunk keeps memory at about one chunk, whatever the snapshot's size.
  for (const chunk of manifest.chunks) {
    const data = await readVerifiedChunk(chunk, snapshotDirectory);
    const entries = parseChunk(data, chunk.file, snapshotDirectory);
    if (entries.length !== chunk.entryCount) {
      throw corrupted(snapshotDirectory, chunk, `holds ${entries.length} entries, but metadata.json records ${chunk.entryCount}`);
    }
    const batch = database.batch();
    for (const [key, value] of entries) batch.put(key, value);
    await batch.write();
  }
  // The meta entries go last, with an fsync of RocksDB's write-ahead log that makes every earlier batch durable too.
  const batch = database.batch();
  batch.put(FORMAT_VERSION_KEY, encodeValue(STATE_FORMAT_VERSION));
  batch.put(POSITION_KEY, encodeValue(manifest.position));
  await batch.write({ sync: true });
}

async function readVerifiedChunk(chunk: ChunkDescriptor, snapshotDirectory: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(join(snapshotDirectory, chunk.file));
  } catch (error) {
    throw corrupted(snapshotDirectory, chunk, `cannot be read: ${(error as Error).message}`);
  }
  if (data.length !== chunk.sizeBytes) throw corrupted(snapshotDirectory, chunk, `has ${data.length} bytes, but metadata.json records ${chunk.sizeBytes}`);
  const actualCrc32 = crc32(data);
  if (actualCrc32 !== chunk.crc32) throw corrupted(snapshotDirectory, chunk, `has checksum ${actualCrc32}, but metadata.json records ${chunk.crc32}`);
  return data;
}

function corrupted(snapshotDirectory: string, chunk: ChunkDescriptor, why: string): StateError {
  return new StateError('SNAPSHOT_CORRUPTED', `Snapshot ${snapshotDirectory} is corrupted: chunk ${chunk.file} ${why}; restore an older snapshot or rebuild from a replica`, {
    snapshotDirectory,
    chunk: chunk.file,
  });
}

async function checkEmptyOrAbsent(stateDirectory: string): Promise<void> {
  const names = await readdir(stateDirectory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (names.length > 0) {
    throw new StateError('DIRECTORY_NOT_EMPTY', `Expected to restore a snapshot into ${stateDirectory}, but it is not empty; delete it first`, { stateDirectory });
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
