import type { RaftEntry } from '../../src/raft/index.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const HEADER_BYTES = 20;
const PADDING_BYTES_MIN = 100;
const PADDING_BYTES_SPREAD = 400;

/** Folds one entry (term and payload) into a running FNV-1a hash: the identity of a whole applied history. */
export function foldEntry(hash: number, entry: Pick<RaftEntry, 'term' | 'payload'>): number {
  let folded = hash;
  for (let shift = 0; shift < 32; shift += 8) folded = Math.imul(folded ^ ((entry.term >>> shift) & 0xff), FNV_PRIME);
  for (const byte of entry.payload) folded = Math.imul(folded ^ byte, FNV_PRIME);
  return folded >>> 0;
}

export const EMPTY_HISTORY_HASH = FNV_OFFSET;

/**
 * The replicated application: the hash of every entry applied, in order. Its snapshot is that hash with the
 * position it covers, padded with bytes derived from the hash to a few hundred bytes, so that transfers take
 * several chunks and a chunk put at the wrong offset shows up when the snapshot is read back.
 */
export class SimulatedStateMachine {
  constructor(
    public appliedIndex = 0,
    public appliedTerm = 0,
    public hash = EMPTY_HISTORY_HASH,
  ) {}

  apply(entry: RaftEntry): void {
    if (entry.index !== this.appliedIndex + 1) throw new Error(`Applied entry ${entry.index} after ${this.appliedIndex}`);
    this.hash = foldEntry(this.hash, entry);
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
  }

  encodeSnapshot(): Uint8Array {
    const paddingBytes = PADDING_BYTES_MIN + (this.hash % PADDING_BYTES_SPREAD);
    const bytes = new Uint8Array(HEADER_BYTES + paddingBytes);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, this.appliedIndex);
    view.setUint32(4, this.appliedTerm);
    view.setUint32(8, this.hash);
    view.setUint32(12, paddingBytes);
    for (let position = 0; position < paddingBytes; position++) bytes[HEADER_BYTES + position] = paddingByte(this.hash, position);
    view.setUint32(16, checksum(bytes.subarray(HEADER_BYTES)));
    return bytes;
  }

  static decodeSnapshot(bytes: Uint8Array): SimulatedStateMachine {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hash = view.getUint32(8);
    const paddingBytes = view.getUint32(12);
    if (bytes.byteLength !== HEADER_BYTES + paddingBytes) throw new Error(`A snapshot of ${bytes.byteLength} bytes, expected ${HEADER_BYTES + paddingBytes}`);
    for (let position = 0; position < paddingBytes; position++) {
      if (bytes[HEADER_BYTES + position] !== paddingByte(hash, position)) throw new Error(`Snapshot byte ${HEADER_BYTES + position} is corrupted`);
    }
    if (view.getUint32(16) !== checksum(bytes.subarray(HEADER_BYTES))) throw new Error('Snapshot checksum mismatch');
    return new SimulatedStateMachine(view.getUint32(0), view.getUint32(4), hash);
  }
}

function paddingByte(hash: number, position: number): number {
  return (Math.imul(hash ^ position, 0x9e3779b1) >>> 24) & 0xff;
}

function checksum(bytes: Uint8Array): number {
  let hash = FNV_OFFSET;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME);
  return hash >>> 0;
}
