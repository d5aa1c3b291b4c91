/**
 * The one error catalogue: every error a user can see has a code, a message template, a gRPC status, an HTTP
 * status and whether retrying can help. Retry decisions read `retriable` and nothing else.
 */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatus = (typeof GRPC_STATUS)[keyof typeof GRPC_STATUS];

interface ErrorDefinition {
  /** What this error means for a user, shown in the documentation of error codes. */
  description: string;
  grpcStatus: GrpcStatus;
  httpStatus: number;
  retriable: boolean;
}

export const ERROR_CATALOGUE = {
  INVALID_ARGUMENT: { description: 'The request is malformed or a field has an invalid value.', grpcStatus: GRPC_STATUS.INVALID_ARGUMENT, httpStatus: 400, retriable: false },
  NOT_FOUND: { description: 'The entity the request names does not exist.', grpcStatus: GRPC_STATUS.NOT_FOUND, httpStatus: 404, retriable: false },
  ALREADY_EXISTS: { description: 'The entity the request would create exists already.', grpcStatus: GRPC_STATUS.ALREADY_EXISTS, httpStatus: 409, retriable: false },
  INVALID_STATE: { description: 'The entity is not in a state that allows the request.', grpcStatus: GRPC_STATUS.FAILED_PRECONDITION, httpStatus: 409, retriable: false },
  PROCESSING_ERROR: { description: 'The engine failed to process the command; the partition goes on with the next one.', grpcStatus: GRPC_STATUS.INTERNAL, httpStatus: 500, retriable: false },
  RESOURCE_EXHAUSTED: { description: 'The partition is overloaded (back-pressure); retry later.', grpcStatus: GRPC_STATUS.RESOURCE_EXHAUSTED, httpStatus: 429, retriable: true },
  REQUEST_TOO_LARGE: { description: 'The request exceeds a documented size limit.', grpcStatus: GRPC_STATUS.INVALID_ARGUMENT, httpStatus: 413, retriable: false },
  PARTITION_UNAVAILABLE: { description: 'The partition has no leader that accepts commands right now.', grpcStatus: GRPC_STATUS.UNAVAILABLE, httpStatus: 503, retriable: true },
  PARTITION_FAILED: { description: 'The partition stopped processing on an error it cannot recover from by itself (a storage failure); it answers again once its broker restarts, or in a cluster once another replica leads it. A command in flight when it failed may or may not have been applied. GET /ready names the failure.', grpcStatus: GRPC_STATUS.UNAVAILABLE, httpStatus: 503, retriable: true },
  NOT_LEADER: { description: 'The broker asked is not the leader of the partition (any more); the gateway retries at the leader.', grpcStatus: GRPC_STATUS.UNAVAILABLE, httpStatus: 503, retriable: true },
  LEADER_CHANGED: { description: 'The partition lost its leader while the command was in flight: it may or may not have been applied.', grpcStatus: GRPC_STATUS.UNAVAILABLE, httpStatus: 503, retriable: true },
  DEADLINE_EXCEEDED: { description: 'The request was not answered within its timeout.', grpcStatus: GRPC_STATUS.DEADLINE_EXCEEDED, httpStatus: 504, retriable: true },
  SHUTTING_DOWN: { description: 'The broker is shutting down.', grpcStatus: GRPC_STATUS.UNAVAILABLE, httpStatus: 503, retriable: true },
  UNIMPLEMENTED: { description: 'The RPC is part of the Zeebe protocol but not implemented by Tributary yet.', grpcStatus: GRPC_STATUS.UNIMPLEMENTED, httpStatus: 501, retriable: false },
  INTERNAL: { description: 'An unexpected error inside Tributary.', grpcStatus: GRPC_STATUS.INTERNAL, httpStatus: 500, retriable: false },
} as const satisfies { [code: string]: ErrorDefinition };

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class TributaryError extends Error {
  readonly grpcStatus: GrpcStatus;
  readonly httpStatus: number;
  readonly retriable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: { [name: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'TributaryError';
    const definition: ErrorDefinition = ERROR_CATALOGUE[code];
    this.grpcStatus = definition.grpcStatus;
    this.httpStatus = definition.httpStatus;
    this.retriable = definition.retriable;
  }
}
