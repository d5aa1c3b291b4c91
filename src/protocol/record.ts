import type { Intent } from './intent.js';
import type { RecordType } from './record-type.js';
import type { RejectionType } from './rejection-type.js';
import type { ValueType } from './value-type.js';

/** A JSON-like value as records carry it: 64-bit integers are bigints, binary content is a Uint8Array. */
export type Value = null | boolean | number | string | bigint | Uint8Array | Value[] | { [field: string]: Value | undefined };
export type RecordValue = { [field: string]: Value | undefined };

/**
 * One record of a partition's log. Positions are JS numbers: they count records of one partition and stay below
 * 2^53 (285 years at a million records a second); the log asserts it on append. Keys are bigints (see keys.ts).
 */
export interface Record<V extends object = RecordValue> {
  partitionId: number;
  position: number;
  /** Position of the command that caused this record; -1 for commands written by clients. */
  sourceRecordPosition: number;
  key: bigint;
  /** Milliseconds since the epoch, set by the leader when the record is written. */
  timestamp: number;
  recordType: RecordType;
  valueType: ValueType;
  intent: Intent;
  rejectionType: RejectionType;
  rejectionReason: string;
  brokerVersion: string;
  value: V;
  /** Internal metadata, never exported: which gateway request waits for the answer to this command. */
  requestId?: number;
  requestStreamId?: number;
  /** Internal metadata: a follow-up command already processed in the batch that wrote it. */
  processedInBatch?: boolean;
}

/** A record before the log has given it a position and a timestamp. */
export type UnwrittenRecord<V extends object = RecordValue> = Omit<Record<V>, 'position' | 'timestamp' | 'partitionId' | 'brokerVersion'>;

export const BROKER_VERSION = '8.8.0';
export const RECORD_VERSION = 1;
