import { GRPC_STATUS, TributaryError, type GrpcStatus } from '../errors.js';
import type { Record, RejectionType } from '../protocol/index.js';
import type { CallStatus } from './transport/grpc-wire.js';

/** How the gateway reports problems it does not expect (a bug, a broken broker); expected errors are not logged. */
export interface GatewayLogger {
  error(message: string, context?: { [name: string]: unknown }): void;
}

export const consoleLogger: GatewayLogger = {
  error: (message, context) => console.error(`[gateway] ${message}`, context ?? ''),
};

/** The status a client sees for each rejection type, as Zeebe's gateway maps them. */
const REJECTION_STATUS: { [R in RejectionType]: GrpcStatus } = {
  NULL_VAL: GRPC_STATUS.INTERNAL,
  INVALID_ARGUMENT: GRPC_STATUS.INVALID_ARGUMENT,
  NOT_FOUND: GRPC_STATUS.NOT_FOUND,
  ALREADY_EXISTS: GRPC_STATUS.ALREADY_EXISTS,
  INVALID_STATE: GRPC_STATUS.FAILED_PRECONDITION,
  PROCESSING_ERROR: GRPC_STATUS.INTERNAL,
  EXCEEDED_BATCH_RECORD_SIZE: GRPC_STATUS.RESOURCE_EXHAUSTED,
  UNAUTHORIZED: GRPC_STATUS.PERMISSION_DENIED,
  FORBIDDEN: GRPC_STATUS.PERMISSION_DENIED,
};

export function rejectionStatus(rejectionType: RejectionType): GrpcStatus {
  return REJECTION_STATUS[rejectionType] ?? GRPC_STATUS.INTERNAL;
}

/** A command the engine rejected; the message has Zeebe's form so clients and users recognise it. */
export class CommandRejectedError extends Error {
  readonly grpcStatus: GrpcStatus;

  constructor(readonly rejection: Record) {
    super(`Command '${rejection.intent}' rejected with code '${rejection.rejectionType}': ${rejection.rejectionReason}`);
    this.name = 'CommandRejectedError';
    this.grpcStatus = rejectionStatus(rejection.rejectionType);
  }
}

export function invalidArgument(message: string, context: { [name: string]: unknown } = {}): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', message, context);
}

/** A part of the protocol Tributary does not support yet; refused rather than silently ignored. */
export function unimplemented(feature: string): TributaryError {
  return new TributaryError('UNIMPLEMENTED', `Tributary does not implement ${feature} yet`, { feature });
}

/**
 * The status to answer for an error thrown while serving a call. Typed errors (validation, rejections, broker
 * errors) keep their status and message; anything else is a bug or a broken dependency: INTERNAL, and logged.
 */
export function toStatus(error: unknown, rpc: string, logger: GatewayLogger): CallStatus {
  if (error instanceof TributaryError || error instanceof CommandRejectedError) {
    return { code: error.grpcStatus, details: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  logger.error(`Unexpected error in ${rpc}: ${message}`, { rpc, error });
  return { code: GRPC_STATUS.INTERNAL, details: `Unexpected error in ${rpc}: ${message}` };
}
