import type { RaftEntry } from '../../log-storage.js';
import type { RaftMessage, RaftMessageType, SnapshotChunkResponse } from '../../messages.js';
import { BinaryReader, BinaryWriter, DecodeFailure } from './binary.js';

/**
 * Raft messages on the wire, format version 1. All integers little endian; u64 fields hold integers up to
 * Number.MAX_SAFE_INTEGER. Every message starts with:
 *
 *   u8 format version (1), u8 type code (MESSAGE_TYPE_CODES), u32 from, u32 to, u64 term
 *
 * then the fields of its type, in the order of the interface in messages.ts:
 *
 *   pre-vote-request, vote-request   u64 lastLogIndex, u64 lastLogTerm
 *   pre-vote-response, vote-response u8 granted (0 or 1)
 *   append-request                   u64 previousLogIndex, u64 previousLogTerm, u64 leaderCommitIndex, u32 entry count,
 *                                    entries: u64 index, u64 term, u32 payload length, payload
 *   append-accepted                  u64 matchIndex
 *   append-rejected                  u64 rejectedPreviousLogIndex, u64 hintIndex, u64 hintTerm, u64 followerLastIndex
 *   heartbeat-request                u64 leaderCommitIndex
 *   heartbeat-response               (nothing)
 *   snapshot-chunk                   u64 snapshotIndex, u64 snapshotTerm, u64 offsetBytes, u64 totalSizeBytes,
 *                                    u32 length, bytes
 *   snapshot-chunk-response          u64 snapshotIndex, u64 snapshotTerm, u8 outcome (0 accepted, 1 rejected,
 *                                    2 installed), u64 nextOffsetBytes
 *
 * A changed layout is a new version in a new folder; fixtures/ holds the bytes of every type.
 */
export const MESSAGE_FORMAT_VERSION = 1;

export const MESSAGE_TYPE_CODES: Readonly<Record<RaftMessageType, number>> = {
  'pre-vote-request': 1,
  'pre-vote-response': 2,
  'vote-request': 3,
  'vote-response': 4,
  'append-request': 5,
  'append-accepted': 6,
  'append-rejected': 7,
  'heartbeat-request': 8,
  'heartbeat-response': 9,
  'snapshot-chunk': 10,
  'snapshot-chunk-response': 11,
};
const MESSAGE_TYPES_BY_CODE = new Map(Object.entries(MESSAGE_TYPE_CODES).map(([type, code]) => [code, type as RaftMessageType]));
const SNAPSHOT_OUTCOMES: readonly SnapshotChunkResponse['outcome'][] = ['accepted', 'rejected', 'installed'];
/** index, term and payload length: the least an entry takes, so that a forged count cannot allocate much. */
const ENTRY_HEADER_BYTES = 20;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function encodeRaftMessage(message: RaftMessage): Buffer {
  const writer = new BinaryWriter().u8(MESSAGE_FORMAT_VERSION).u8(MESSAGE_TYPE_CODES[message.type]).u32(message.from).u32(message.to).u64(message.term);
  switch (message.type) {
    case 'pre-vote-request':
    case 'vote-request':
      writer.u64(message.lastLogIndex).u64(message.lastLogTerm);
      break;
    case 'pre-vote-response':
    case 'vote-response':
      writer.u8(message.granted ? 1 : 0);
      break;
    case 'append-request':
      writer.u64(message.previousLogIndex).u64(message.previousLogTerm).u64(message.leaderCommitIndex).u32(message.entries.length);
      for (const entry of message.entries) writer.u64(entry.index).u64(entry.term).bytesWithLength(entry.payload);
      break;
    case 'append-accepted':
      writer.u64(message.matchIndex);
      break;
    case 'append-rejected':
      writer.u64(message.rejectedPreviousLogIndex).u64(message.hintIndex).u64(message.hintTerm).u64(message.followerLastIndex);
      break;
    case 'heartbeat-request':
      writer.u64(message.leaderCommitIndex);
      break;
    case 'heartbeat-response':
      break;
    case 'snapshot-chunk':
      writer.u64(message.snapshotIndex).u64(message.snapshotTerm).u64(message.offsetBytes).u64(message.totalSizeBytes).bytesWithLength(message.bytes);
      break;
    case 'snapshot-chunk-response':
      writer.u64(message.snapshotIndex).u64(message.snapshotTerm).u8(SNAPSHOT_OUTCOMES.indexOf(message.outcome)).u64(message.nextOffsetBytes);
      break;
  }
  return writer.finish();
}

/** Decodes the shape (types and lengths); never throws on bad bytes. validateRaftMessage checks the meaning. */
export function decodeRaftMessage(bytes: Buffer): DecodeResult<RaftMessage> {
  try {
    const reader = new BinaryReader(bytes);
    const version = reader.u8('format version');
    if (version !== MESSAGE_FORMAT_VERSION) return { ok: false, error: `Unknown Raft message format version ${version} (expected ${MESSAGE_FORMAT_VERSION})` };
    const code = reader.u8('type code');
    const type = MESSAGE_TYPES_BY_CODE.get(code);
    if (type === undefined) return { ok: false, error: `Unknown Raft message type code ${code}` };
    const envelope = { from: reader.u32('from'), to: reader.u32('to'), term: reader.u64('term') };
    const message = decodeFields(type, envelope, reader);
    reader.expectEnd(`${type} message`);
    return { ok: true, value: message };
  } catch (error) {
    if (error instanceof DecodeFailure) return { ok: false, error: `Malformed Raft message: ${error.message}` };
    throw error;
  }
}

function decodeFields(type: RaftMessageType, envelope: { from: number; to: number; term: number }, reader: BinaryReader): RaftMessage {
  switch (type) {
    case 'pre-vote-request':
    case 'vote-request':
      return { type, ...envelope, lastLogIndex: reader.u64('lastLogIndex'), lastLogTerm: reader.u64('lastLogTerm') };
    case 'pre-vote-response':
    case 'vote-response':
      return { type, ...envelope, granted: reader.boolean('granted') };
    case 'append-request': {
      const previousLogIndex = reader.u64('previousLogIndex');
      const previousLogTerm = reader.u64('previousLogTerm');
      const leaderCommitIndex = reader.u64('leaderCommitIndex');
      return { type, ...envelope, previousLogIndex, previousLogTerm, entries: decodeEntries(reader), leaderCommitIndex };
    }
    case 'append-accepted':
      return { type, ...envelope, matchIndex: reader.u64('matchIndex') };
    case 'append-rejected':
      return {
        type,
        ...envelope,
        rejectedPreviousLogIndex: reader.u64('rejectedPreviousLogIndex'),
        hintIndex: reader.u64('hintIndex'),
        hintTerm: reader.u64('hintTerm'),
        followerLastIndex: reader.u64('followerLastIndex'),
      };
    case 'heartbeat-request':
      return { type, ...envelope, leaderCommitIndex: reader.u64('leaderCommitIndex') };
    case 'heartbeat-response':
      return { type, ...envelope };
    case 'snapshot-chunk':
      return {
        type,
        ...envelope,
        snapshotIndex: reader.u64('snapshotIndex'),
        snapshotTerm: reader.u64('snapshotTerm'),
        offsetBytes: reader.u64('offsetBytes'),
        totalSizeBytes: reader.u64('totalSizeBytes'),
        bytes: reader.bytesWithLength('bytes'),
      };
    case 'snapshot-chunk-response': {
      const snapshotIndex = reader.u64('snapshotIndex');
      const snapshotTerm = reader.u64('snapshotTerm');
      const outcomeCode = reader.u8('outcome');
      const outcome = SNAPSHOT_OUTCOMES[outcomeCode];
      if (outcome === undefined) throw new DecodeFailure(`Unknown snapshot chunk outcome ${outcomeCode}`);
      return { type, ...envelope, snapshotIndex, snapshotTerm, outcome, nextOffsetBytes: reader.u64('nextOffsetBytes') };
    }
  }
}

function decodeEntries(reader: BinaryReader): RaftEntry[] {
  const count = reader.u32('entry count');
  if (count * ENTRY_HEADER_BYTES > reader.remainingBytes) throw new DecodeFailure(`${count} entries cannot fit in the ${reader.remainingBytes} bytes left`);
  const entries: RaftEntry[] = [];
  for (let position = 0; position < count; position++) {
    entries.push({ index: reader.u64('entry index'), term: reader.u64('entry term'), payload: reader.bytesWithLength('entry payload') });
  }
  return entries;
}

/**
 * What a well-formed message must also mean, checked after decoding: an error text, or undefined when it is valid.
 * The core asserts these as invariants, so a peer's bad message must stop here instead of stopping the replica.
 */
export function validateRaftMessage(message: RaftMessage): string | undefined {
  if (message.from === message.to) return `A Raft message from replica ${message.from} to itself`;
  if (message.type === 'append-request') {
    for (let position = 0; position < message.entries.length; position++) {
      const entry = message.entries[position];
      if (entry.index !== message.previousLogIndex + 1 + position) {
        return `An append request after entry ${message.previousLogIndex} carries entry ${entry.index} at position ${position}`;
      }
      if (entry.term > message.term || entry.term < (position === 0 ? message.previousLogTerm : message.entries[position - 1].term)) {
        return `An append request of term ${message.term} carries entry ${entry.index} with term ${entry.term} out of order`;
      }
    }
  }
  if (message.type === 'snapshot-chunk' && message.offsetBytes + message.bytes.byteLength > message.totalSizeBytes) {
    return `A snapshot chunk at offset ${message.offsetBytes} with ${message.bytes.byteLength} bytes exceeds the snapshot's ${message.totalSizeBytes} bytes`;
  }
  return undefined;
}

/** decode, then validate: what the transport hands to the node, or why not. */
export function readRaftMessage(bytes: Buffer): DecodeResult<RaftMessage> {
  const decoded = decodeRaftMessage(bytes);
  if (!decoded.ok) return decoded;
  const problem = validateRaftMessage(decoded.value);
  return problem === undefined ? decoded : { ok: false, error: problem };
}
