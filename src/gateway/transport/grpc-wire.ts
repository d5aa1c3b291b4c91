import { gunzipSync, inflateSync } from 'node:zlib';
import { GRPC_STATUS } from '../../errors.js';

/**
 * The gRPC-over-HTTP/2 wire format (grpc/grpc PROTOCOL-HTTP2.md): every message is a "length-prefixed message", one
 * byte of flags (1: compressed with the call's grpc-encoding) and four bytes of big-endian length, then the bytes.
 */
export const FRAME_HEADER_BYTES = 5;

/** A status to end a call with: the gRPC code and a message for people. */
export interface CallStatus {
  code: number;
  details: string;
}

export class CallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'CallError';
  }

  get details(): string {
    return this.message;
  }
}

/** Prefixes one serialized message for the wire (never compressed: clients need not accept compressed answers). */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * The one message of a request body (the methods served here take exactly one). Throws a CallError with the status
 * grpc-js answers in the same case, so clients see what they saw before.
 */
export function readSingleMessage(body: Buffer, encoding: string | undefined, maxMessageBytes: number): Buffer {
  if (body.length < FRAME_HEADER_BYTES) {
    throw new CallError(GRPC_STATUS.INTERNAL, body.length === 0 ? 'Expected one request message, but the request had none' : 'The request ended inside a message header');
  }
  const compressed = body[0] === 1;
  const length = body.readUInt32BE(1);
  if (length > maxMessageBytes) throw messageTooLarge(length, maxMessageBytes);
  const end = FRAME_HEADER_BYTES + length;
  if (body.length < end) throw new CallError(GRPC_STATUS.INTERNAL, 'The request ended inside a message');
  if (body.length > end) throw new CallError(GRPC_STATUS.UNIMPLEMENTED, 'Expected one request message, but the request had more');
  const message = body.subarray(FRAME_HEADER_BYTES, end);
  if (!compressed) return message;
  const inflated = decompress(message, encoding, maxMessageBytes);
  if (inflated.length > maxMessageBytes) throw messageTooLarge(inflated.length, maxMessageBytes);
  return inflated;
}

export function messageTooLarge(length: number, maxMessageBytes: number): CallError {
  return new CallError(GRPC_STATUS.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${maxMessageBytes})`);
}

function decompress(message: Buffer, encoding: string | undefined, maxMessageBytes: number): Buffer {
  try {
    if (encoding === 'gzip') return gunzipSync(message, { maxOutputLength: maxMessageBytes + 1 });
    if (encoding === 'deflate') return inflateSync(message, { maxOutputLength: maxMessageBytes + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw messageTooLarge(maxMessageBytes + 1, maxMessageBytes);
    throw new CallError(GRPC_STATUS.INTERNAL, `Expected a ${encoding}-compressed request message, but could not decompress it: ${(error as Error).message}`);
  }
  throw new CallError(GRPC_STATUS.UNIMPLEMENTED, `Expected a request compressed with gzip or deflate, but grpc-encoding is '${encoding ?? 'identity'}'`);
}

/**
 * grpc-message is percent-encoded: bytes outside printable ASCII, and '%', become %XX of their UTF-8 bytes, so any
 * message survives as a header value (grpc-js and the Go client decode it this way).
 */
export function encodeGrpcMessage(details: string): string {
  let plain = true;
  for (let index = 0; index < details.length; index++) {
    const code = details.charCodeAt(index);
    if (code < 0x20 || code > 0x7e || code === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return details;
  let encoded = '';
  for (const byte of Buffer.from(details, 'utf8')) {
    encoded += byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return encoded;
}
