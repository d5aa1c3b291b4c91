import * as zlib from 'node:zlib';
import type { RaftMessage } from '../../messages.js';
import { BinaryReader, BinaryWriter, DecodeFailure } from './binary.js';
import { encodeRaftMessage, readRaftMessage, type DecodeResult } from './message-codec.js';

/**
 * Frames on a connection between two nodes, wire format version 1:
 *
 *   u32 body length, u32 crc32 of the body, body
 *
 * The body starts with a u8 kind. Kind 1, hello, is the first frame each side sends:
 *
 *   u8 kind (1), 8 bytes magic "TRIBRAFT", u32 wire version (1), u32 sender node id, u32 receiver node id,
 *   u32 cluster id length, cluster id (UTF-8)
 *
 * Kind 2 carries one Raft message of one Raft group (a partition):
 *
 *   u8 kind (2), u32 group id, the message (message-codec.ts)
 *
 * Kind 3 carries an opaque message of the application that shares the connection (the broker's command forwarding
 * and topology), on a numbered channel; a node that does not know kind 3 drops it with a warning:
 *
 *   u8 kind (3), u32 channel, the bytes
 */
export const WIRE_FORMAT_VERSION = 1;
export const FRAME_HEADER_BYTES = 8;
const HELLO_MAGIC = Buffer.from('TRIBRAFT', 'latin1');
const KIND_HELLO = 1;
const KIND_MESSAGE = 2;
const KIND_APPLICATION = 3;
const CLUSTER_ID_BYTES_MAX = 255;

export interface Hello {
  wireVersion: number;
  fromNodeId: number;
  toNodeId: number;
  clusterId: string;
}

export type FrameBody =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'message'; groupId: number; message: RaftMessage }
  | { kind: 'application'; channel: number; bytes: Buffer };

export function encodeFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(zlib.crc32(body), 4);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function encodeHello(hello: Omit<Hello, 'wireVersion'>): Buffer {
  const clusterId = Buffer.from(hello.clusterId, 'utf8');
  if (clusterId.length === 0 || clusterId.length > CLUSTER_ID_BYTES_MAX) throw new RangeError(`Expected a cluster id of 1 to ${CLUSTER_ID_BYTES_MAX} bytes, got ${clusterId.length}`);
  const writer = new BinaryWriter().u8(KIND_HELLO);
  for (const byte of HELLO_MAGIC) writer.u8(byte);
  return writer.u32(WIRE_FORMAT_VERSION).u32(hello.fromNodeId).u32(hello.toNodeId).bytesWithLength(clusterId).finish();
}

export function encodeMessageBody(groupId: number, message: RaftMessage): Buffer {
  const header = new BinaryWriter().u8(KIND_MESSAGE).u32(groupId).finish();
  return Buffer.concat([header, encodeRaftMessage(message)]);
}

export function encodeApplicationBody(channel: number, bytes: Uint8Array): Buffer {
  const header = new BinaryWriter().u8(KIND_APPLICATION).u32(channel).finish();
  return Buffer.concat([header, bytes]);
}

/** Decodes and validates a frame body; never throws on bad bytes. */
export function decodeFrameBody(body: Buffer): DecodeResult<FrameBody> {
  try {
    const reader = new BinaryReader(body);
    const kind = reader.u8('frame kind');
    if (kind === KIND_MESSAGE) {
      const groupId = reader.u32('group id');
      const message = readRaftMessage(body.subarray(5));
      return message.ok ? { ok: true, value: { kind: 'message', groupId, message: message.value } } : message;
    }
    if (kind === KIND_APPLICATION) return { ok: true, value: { kind: 'application', channel: reader.u32('channel'), bytes: body.subarray(5) } };
    if (kind !== KIND_HELLO) return { ok: false, error: `Unknown frame kind ${kind}` };
    const magic = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7].map(() => reader.u8('magic')));
    if (!magic.equals(HELLO_MAGIC)) return { ok: false, error: 'The hello frame does not start with TRIBRAFT: not a Tributary Raft peer' };
    const hello = { wireVersion: reader.u32('wire version'), fromNodeId: reader.u32('sender node id'), toNodeId: reader.u32('receiver node id') };
    const clusterId = reader.bytesWithLength('cluster id');
    reader.expectEnd('hello');
    if (clusterId.byteLength > CLUSTER_ID_BYTES_MAX) return { ok: false, error: `A cluster id of ${clusterId.byteLength} bytes exceeds ${CLUSTER_ID_BYTES_MAX}` };
    return { ok: true, value: { kind: 'hello', hello: { ...hello, clusterId: Buffer.from(clusterId).toString('utf8') } } };
  } catch (error) {
    if (error instanceof DecodeFailure) return { ok: false, error: `Malformed frame: ${error.message}` };
    throw error;
  }
}

/**
 * Cuts a byte stream into frame bodies. A frame longer than frameSizeBytesMax or with a wrong checksum is an error
 * value; after one, the stream is out of step and the connection must close.
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly frameSizeBytesMax: number) {}

  push(chunk: Buffer): DecodeResult<Buffer[]> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const bodies: Buffer[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const lengthBytes = this.pending.readUInt32LE(0);
      if (lengthBytes > this.frameSizeBytesMax) return { ok: false, error: `A frame of ${lengthBytes} bytes exceeds frameSizeBytesMax (${this.frameSizeBytesMax})` };
      if (this.pending.length < FRAME_HEADER_BYTES + lengthBytes) break;
      const body = this.pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + lengthBytes);
      if (zlib.crc32(body) !== this.pending.readUInt32LE(4)) return { ok: false, error: `A frame of ${lengthBytes} bytes failed its checksum` };
      bodies.push(body);
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + lengthBytes);
    }
    return { ok: true, value: bodies };
  }
}
