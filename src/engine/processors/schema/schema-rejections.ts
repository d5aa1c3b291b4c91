import type { Record, RejectionType } from '../../../protocol/index.js';
import { rejectionReasonOf, type SchemaRegistryError } from '../../../protocol/schema-registry/index.js';
import type { ProcessingContext } from '../../context.js';

/** SCHEMA records are about no engine entity: they take no key, so they leave the key sequence alone. */
export const NO_KEY = -1n;

/** Rejects a SCHEMA command with Confluent's error (as JSON in the reason, which the HTTP API answers with). */
export function rejectSchemaCommand(command: Record, context: ProcessingContext, error: SchemaRegistryError): void {
  context.writers.appendRejection(command, rejectionTypeOf(error), rejectionReasonOf(error));
}

function rejectionTypeOf(error: SchemaRegistryError): RejectionType {
  if (error.httpStatus === 404) return 'NOT_FOUND';
  if (error.httpStatus === 409) return 'INVALID_STATE';
  return 'INVALID_ARGUMENT';
}
