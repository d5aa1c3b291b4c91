/** Why a command was rejected; Zeebe's names. The order is part of the binary log format: append only. */
export const REJECTION_TYPES = [
  'NULL_VAL',
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_STATE',
  'PROCESSING_ERROR',
  'EXCEEDED_BATCH_RECORD_SIZE',
  'UNAUTHORIZED',
  'FORBIDDEN',
] as const;
export type RejectionType = (typeof REJECTION_TYPES)[number];
