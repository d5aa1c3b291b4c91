import { TributaryError } from '../errors.js';
import {
  DEFAULT_TENANT_ID,
  JSON_NESTING_DEPTH_MAX,
  jsonNestingDepth,
  NO_KEY,
  parseJson,
  parseKey,
  partitionIdOf,
  type VariableDocument,
} from '../protocol/index.js';
import type { BrokerClient } from './broker-client.js';
import { invalidArgument } from './grpc-errors.js';

/** Node's timers fire at once when asked for more than 2^31-1 ms (24.8 days); longer waits are cut to that. */
export const TIMER_DELAY_MAX_MS = 2 ** 31 - 1;

/** How much of a rejected input an error message quotes, so a huge document does not become a huge message. */
const QUOTED_INPUT_LENGTH_MAX = 200;

/** A key the request must name (a job, an instance, an incident). Keys are positive; 0 is proto3's "not set". */
export function requiredKey(text: string, field: string): bigint {
  const key = parseKey(text);
  if (key === undefined || key <= 0n) {
    throw invalidArgument(`Expected '${field}' to be a key (a positive 64-bit integer), but got '${quote(text)}'`, { field });
  }
  return key;
}

/** A key the request may leave out: 0 (proto3's default) and -1 both mean none. */
export function optionalKey(text: string, field: string): bigint {
  if (text === '0' || text === '-1' || text === '') return NO_KEY;
  return requiredKey(text, field);
}

/** The partition that owns the entity a key names; NOT_FOUND when the cluster has no such partition. */
export function partitionOfKey(broker: BrokerClient, key: bigint, field: string): number {
  const partitionId = partitionIdOf(key);
  const partitionIds = broker.partitionIds();
  if (!partitionIds.includes(partitionId)) {
    throw new TributaryError(
      'NOT_FOUND',
      `Expected '${field}' ${key} to belong to one of the partitions ${partitionIds.join(', ')}, but it belongs to partition ${partitionId}`,
      { field, key, partitionId },
    );
  }
  return partitionId;
}

/**
 * A variables document sent as JSON text. Empty text and 'null' mean no variables (proto3 sends '' for an unset
 * string, and some clients serialise an absent document as null); anything else must be a JSON object.
 */
export function variablesDocument(text: string, field = 'variables'): VariableDocument {
  if (text.length === 0) return {};
  // Only a long text can nest deeply, so short ones skip the scan.
  if (text.length > JSON_NESTING_DEPTH_MAX * 2 && jsonNestingDepth(text) > JSON_NESTING_DEPTH_MAX) {
    throw invalidArgument(`Expected ${field} to nest at most ${JSON_NESTING_DEPTH_MAX} levels deep, but it nests ${jsonNestingDepth(text)} levels`, { field });
  }
  let document: unknown;
  try {
    document = parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? ` (${error.message})` : '';
    throw invalidArgument(`Expected to parse ${field} as a JSON object, but got: ${quote(text)}${reason}`, { field });
  }
  if (document === null) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw invalidArgument(`Expected to parse ${field} as a JSON object, but got: ${quote(text)}`, { field });
  }
  return document as VariableDocument;
}

/**
 * A duration in milliseconds sent as an int64 string. Values beyond 2^53 (a client's "forever") are clamped: no
 * timer or deadline can tell them apart.
 */
export function durationMs(text: string, field: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) {
    throw invalidArgument(`Expected '${field}' to be a duration in milliseconds, but got '${quote(text)}'`, { field });
  }
  return Math.min(Math.max(value, Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
}

export function tenantIdOrDefault(tenantId: string): string {
  return tenantId.length === 0 ? DEFAULT_TENANT_ID : tenantId;
}

export function tenantIdsOrDefault(tenantIds: string[]): string[] {
  return tenantIds.length === 0 ? [DEFAULT_TENANT_ID] : tenantIds;
}

function quote(text: string): string {
  return text.length <= QUOTED_INPUT_LENGTH_MAX ? text : `${text.slice(0, QUOTED_INPUT_LENGTH_MAX)}...`;
}
