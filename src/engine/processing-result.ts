import type { Intent, JobRecordValue, Record, ValueType } from '../protocol/index.js';

/** A response for the gateway request that wrote a command; the broker delivers it once the records are durable. */
export interface PendingResponse {
  requestId: number;
  requestStreamId: number;
  record: Record;
}

/** Effects outside the log, carried out by the broker only after the records that caused them are durable. */
export type SideEffect =
  | { kind: 'jobs-available'; jobType: string }
  | { kind: 'push-job'; streamId: number; jobKey: bigint; job: JobRecordValue }
  /** A command for another partition (message subscriptions live on the partition of their correlation key). */
  | { kind: 'send-command'; partitionId: number; command: { valueType: ValueType; intent: Intent; key: bigint; value: object } };

export interface ProcessingResult {
  /** Records to append as one log entry, in order; empty when the command changed nothing and need not be logged. */
  records: Record[];
  responses: PendingResponse[];
  sideEffects: SideEffect[];
  /** The records encoded as one log entry, when the caller asked for it (see ProcessOptions.encode). */
  payload?: Buffer;
  /** Follow-up commands written unprocessed because the batch reached its bound; process them next, in order. */
  leftoverCommands: Record[];
}
