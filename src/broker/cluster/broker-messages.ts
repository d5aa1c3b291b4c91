import { decodeRecordBatch, encodeRecordBatch, type Record, type RecordValue } from '../../protocol/index.js';
import type { ActivatedJobRecord, CommandRequest, JobStreamRequest } from '../../gateway/broker-client.js';
import { commandRecord } from '../command-records.js';

/**
 * Messages between brokers beside Raft (application channel 1 of the transport), version 1. Every message starts
 * with a u8 type:
 *
 *   1 command:  u32 request id (0: no answer wanted), u32 partition id, u32 timeout ms, f64 sent at (ms since the
 *               epoch, the sender's clock), a record batch of one command
 *   2 response: u32 request id, a record batch of one record (the event or rejection answering the command)
 *   3 failure:  u32 request id, UTF-8 JSON { code, message } (an error code of errors.ts)
 *   4 topology: UTF-8 JSON BrokerAnnouncement
 *   5 jobs available: UTF-8 job type
 *   6 stream open:  UTF-8 JSON { streamId, request } (a gateway's job stream, opened at every broker)
 *   7 stream close: UTF-8 JSON { streamId }
 *   8 job push:     u32 stream id, a record batch of one JOB record (key and value of the activated job)
 *
 * Records use the log's record codec, so keys and variables travel exactly as the log stores them.
 */
export const BROKER_CHANNEL = 1;

export interface PartitionAnnouncement {
  partitionId: number;
  role: 'LEADER' | 'FOLLOWER' | 'INACTIVE';
  term: number;
  healthy: boolean;
}

/** What a broker tells the others about itself, periodically and whenever a role changes. */
export interface BrokerAnnouncement {
  nodeId: number;
  /** Where clients reach this broker's gateway. */
  host: string;
  port: number;
  version: string;
  partitions: PartitionAnnouncement[];
}

export type BrokerMessage =
  | { type: 'command'; requestId: number; partitionId: number; timeoutMs: number; sentAtMs: number; command: CommandRequest }
  | { type: 'response'; requestId: number; record: Record }
  | { type: 'failure'; requestId: number; code: string; message: string }
  | { type: 'topology'; announcement: BrokerAnnouncement }
  | { type: 'jobs-available'; jobType: string }
  | { type: 'stream-open'; streamId: number; request: JobStreamRequest }
  | { type: 'stream-close'; streamId: number }
  | { type: 'job-push'; streamId: number; job: ActivatedJobRecord };

const COMMAND_HEADER_BYTES = 21;
const TYPE_CODES = { command: 1, response: 2, failure: 3, topology: 4, 'jobs-available': 5, 'stream-open': 6, 'stream-close': 7, 'job-push': 8 } as const;

export function encodeBrokerMessage(message: BrokerMessage): Buffer {
  switch (message.type) {
    case 'command': {
      const header = Buffer.allocUnsafe(COMMAND_HEADER_BYTES);
      header.writeUInt8(TYPE_CODES.command, 0);
      header.writeUInt32LE(message.requestId, 1);
      header.writeUInt32LE(message.partitionId, 5);
      header.writeUInt32LE(Math.min(message.timeoutMs, 0xffffffff), 9);
      header.writeDoubleLE(message.sentAtMs, 13);
      return Buffer.concat([header, encodeRecordBatch([commandRecord(message.partitionId, 0, 0, message.command)])]);
    }
    case 'response':
      return Buffer.concat([requestHeader(TYPE_CODES.response, message.requestId), encodeRecordBatch([message.record])]);
    case 'failure':
      return Buffer.concat([requestHeader(TYPE_CODES.failure, message.requestId), Buffer.from(JSON.stringify({ code: message.code, message: message.message }))]);
    case 'topology':
      return Buffer.concat([Buffer.of(TYPE_CODES.topology), Buffer.from(JSON.stringify(message.announcement))]);
    case 'jobs-available':
      return Buffer.concat([Buffer.of(TYPE_CODES['jobs-available']), Buffer.from(message.jobType)]);
    case 'stream-open':
      return Buffer.concat([Buffer.of(TYPE_CODES['stream-open']), Buffer.from(JSON.stringify({ streamId: message.streamId, request: message.request }))]);
    case 'stream-close':
      return Buffer.concat([Buffer.of(TYPE_CODES['stream-close']), Buffer.from(JSON.stringify({ streamId: message.streamId }))]);
    case 'job-push': {
      const job = commandRecord(0, 0, 0, { valueType: 'JOB', intent: 'CREATED', key: message.job.key, value: message.job.value as unknown as RecordValue });
      return Buffer.concat([requestHeader(TYPE_CODES['job-push'], message.streamId), encodeRecordBatch([job])]);
    }
  }
}

/** Decodes a message; throws a RangeError naming the problem for bytes that are not one (the caller drops them). */
export function decodeBrokerMessage(bytes: Buffer): BrokerMessage {
  const type = bytes.readUInt8(0);
  switch (type) {
    case TYPE_CODES.command: {
      const [record] = decodeRecordBatch(Buffer.from(bytes.subarray(COMMAND_HEADER_BYTES)));
      const command = { valueType: record.valueType, intent: record.intent, key: record.key, value: record.value };
      return { type: 'command', requestId: bytes.readUInt32LE(1), partitionId: bytes.readUInt32LE(5), timeoutMs: bytes.readUInt32LE(9), sentAtMs: bytes.readDoubleLE(13), command };
    }
    case TYPE_CODES.response:
      return { type: 'response', requestId: bytes.readUInt32LE(1), record: decodeRecordBatch(Buffer.from(bytes.subarray(5)))[0] };
    case TYPE_CODES.failure: {
      const { code, message } = JSON.parse(bytes.subarray(5).toString()) as { code: string; message: string };
      return { type: 'failure', requestId: bytes.readUInt32LE(1), code, message };
    }
    case TYPE_CODES.topology:
      return { type: 'topology', announcement: JSON.parse(bytes.subarray(1).toString()) as BrokerAnnouncement };
    case TYPE_CODES['jobs-available']:
      return { type: 'jobs-available', jobType: bytes.subarray(1).toString() };
    case TYPE_CODES['stream-open']: {
      const { streamId, request } = JSON.parse(bytes.subarray(1).toString()) as { streamId: number; request: JobStreamRequest };
      return { type: 'stream-open', streamId, request };
    }
    case TYPE_CODES['stream-close']:
      return { type: 'stream-close', streamId: (JSON.parse(bytes.subarray(1).toString()) as { streamId: number }).streamId };
    case TYPE_CODES['job-push']: {
      const [job] = decodeRecordBatch(Buffer.from(bytes.subarray(5)));
      return { type: 'job-push', streamId: bytes.readUInt32LE(1), job: { key: job.key, value: job.value as unknown as ActivatedJobRecord['value'] } };
    }
    default:
      throw new RangeError(`Unknown broker message type ${type}`);
  }
}

function requestHeader(type: number, requestId: number): Buffer {
  const header = Buffer.allocUnsafe(5);
  header.writeUInt8(type, 0);
  header.writeUInt32LE(requestId, 1);
  return header;
}

