import type { Record, RecordValue } from '../protocol/index.js';
import type { BrokerClient, CommandRequest } from './broker-client.js';
import { CommandRejectedError, type GatewayLogger } from './grpc-errors.js';

/** What every RPC module needs: the brokers, the gateway's defaults and where to report the unexpected. */
export interface GatewayContext {
  readonly broker: BrokerClient;
  readonly requestTimeoutDefaultMs: number;
  readonly longPollingTimeoutDefaultMs: number;
  readonly logger: GatewayLogger;
}

/**
 * Sends one command and resolves with the event that answers it. A rejection becomes a CommandRejectedError;
 * errors of the broker client (back-pressure, no leader, timeout) pass through as the TributaryErrors they are.
 */
export async function executeCommand(
  context: GatewayContext,
  partitionId: number,
  command: CommandRequest,
  timeoutMs: number = context.requestTimeoutDefaultMs,
): Promise<Record> {
  const record = await context.broker.sendCommand(partitionId, command, { timeoutMs });
  if (record.recordType === 'COMMAND_REJECTION') throw new CommandRejectedError(record);
  return record;
}

/**
 * The record value types are interfaces (no index signature) and variables documents hold `unknown`, so neither is
 * assignable to RecordValue as written; the shapes are the record model's own, so the cast is sound.
 */
export function asRecordValue(value: object): RecordValue {
  return value as RecordValue;
}

/** Reads a record's value as the shape its value type promises. */
export function valueOf<V extends object>(record: Record): V {
  return record.value as unknown as V;
}

/** An int64 field of a response: keys are bigints in records; tolerate numbers so a sloppy record cannot crash us. */
export function int64Text(value: bigint | number | undefined): string {
  return value === undefined ? '-1' : value.toString();
}
