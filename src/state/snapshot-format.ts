import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { StateError } from './errors.js';
import { STATE_FORMAT_VERSION } from './format.js';
import type { SnapshotMetadata } from './types.js';

/**
 * The on-disk layout of a snapshot directory:
 *   chunk-000000.bin, chunk-000001.bin, ...  RocksDB's data entries in key order, each framed as
 *                                            u32 LE key length, key, u32 LE value length, value
 *   metadata.json                            this manifest, itself checksummed (its `crc32` field covers the rest)
 * Entries are RocksDB's own bytes, so a snapshot is tied to the state format version that wrote them.
 */
export const SNAPSHOT_FORMAT_VERSION = 1;
export const METADATA_FILE_NAME = 'metadata.json';

export interface ChunkDescriptor {
  file: string;
  sizeBytes: number;
  entryCount: number;
  crc32: number;
}

export interface SnapshotManifest {
  snapshotFormatVersion: number;
  stateFormatVersion: number;
  position: number;
  createdAtMs: number;
  entryCount: number;
  sizeBytes: number;
  chunks: ChunkDescriptor[];
}

export function chunkFileName(index: number): string {
  return `chunk-${String(index).padStart(6, '0')}.bin`;
}

export function serializeManifest(manifest: SnapshotManifest): string {
  const body = JSON.stringify(manifest);
  return JSON.stringify({ ...manifest, crc32: crc32(Buffer.from(body, 'utf8')) }, null, 2) + '\n';
}

export function toSnapshotMetadata(manifest: SnapshotManifest, directory: string): SnapshotMetadata {
  return { position: manifest.position, directory, sizeBytes: manifest.sizeBytes, chunkCount: manifest.chunks.length, createdAtMs: manifest.createdAtMs };
}

/** Reads and verifies metadata.json: its checksum, its shape and its format versions. */
export async function readManifest(snapshotDirectory: string): Promise<SnapshotManifest> {
  const path = join(snapshotDirectory, METADATA_FILE_NAME);
  const corrupted = (why: string) => new StateError('SNAPSHOT_CORRUPTED', `Snapshot ${snapshotDirectory} is corrupted: ${METADATA_FILE_NAME} ${why}`, { snapshotDirectory });
  let parsed: { [field: string]: unknown };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as { [field: string]: unknown };
  } catch (error) {
    throw corrupted(`cannot be read: ${(error as Error).message}`);
  }
  const { crc32: storedCrc32, ...manifest } = parsed;
  const actualCrc32 = crc32(Buffer.from(JSON.stringify(manifest), 'utf8'));
  if (storedCrc32 !== actualCrc32) throw corrupted(`has checksum ${String(storedCrc32)}, but its content has ${actualCrc32}`);
  if (!isManifest(manifest)) throw corrupted('does not have the fields of a snapshot manifest');
  checkVersions(manifest, snapshotDirectory);
  return manifest;
}

function checkVersions(manifest: SnapshotManifest, snapshotDirectory: string): void {
  if (manifest.snapshotFormatVersion !== SNAPSHOT_FORMAT_VERSION || manifest.stateFormatVersion !== STATE_FORMAT_VERSION) {
    throw new StateError(
      'SNAPSHOT_FORMAT_MISMATCH',
      `Snapshot ${snapshotDirectory} has snapshot format ${manifest.snapshotFormatVersion} and state format ${manifest.stateFormatVersion}, ` +
        `but this build reads snapshot format ${SNAPSHOT_FORMAT_VERSION} and state format ${STATE_FORMAT_VERSION}`,
      { snapshotDirectory },
    );
  }
}

function isManifest(value: { [field: string]: unknown }): value is { [field: string]: unknown } & SnapshotManifest {
  const counts = ['snapshotFormatVersion', 'stateFormatVersion', 'position', 'createdAtMs', 'entryCount', 'sizeBytes'];
  if (!counts.every((field) => isCount(value[field]))) return false;
  return Array.isArray(value.chunks) && value.chunks.every(isChunkDescriptor);
}

function isChunkDescriptor(value: unknown): value is ChunkDescriptor {
  if (typeof value !== 'object' || value === null) return false;
  const chunk = value as { [field: string]: unknown };
  return typeof chunk.file === 'string' && /^chunk-\d{6}\.bin$/.test(chunk.file) && isCount(chunk.sizeBytes) && isCount(chunk.entryCount) && isCount(chunk.crc32);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Splits a verified chunk into its entries (views into `data`, not copies). */
export function parseChunk(data: Buffer, chunkName: string, snapshotDirectory: string): Array<[Buffer, Buffer]> {
  const entries: Array<[Buffer, Buffer]> = [];
  let offset = 0;
  const field = (): Buffer => {
    if (offset + 4 > data.length) throw truncated();
    const length = data.readUInt32LE(offset);
    if (offset + 4 + length > data.length) throw truncated();
    const bytes = data.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return bytes;
  };
  const truncated = () => new StateError('SNAPSHOT_CORRUPTED', `Snapshot ${snapshotDirectory} is corrupted: chunk ${chunkName} ends inside an entry at offset ${offset}`, { snapshotDirectory, chunk: chunkName });
  while (offset < data.length) entries.push([field(), field()]);
  return entries;
}
