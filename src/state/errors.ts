import { TributaryError } from '../errors.js';

/**
 * Why the state refused to go on. These are problems with data on disk (never with a user's request), so they map to
 * the catalogue's INTERNAL code; the reason tells an operator, or a broker deciding to restore a snapshot, what failed.
 */
export type StateErrorReason =
  | 'STATE_FORMAT_MISMATCH'
  | 'STATE_CORRUPTED'
  | 'COLUMN_MISMATCH'
  | 'SNAPSHOT_CORRUPTED'
  | 'SNAPSHOT_FORMAT_MISMATCH'
  | 'DIRECTORY_NOT_EMPTY'
  | 'STATE_CLOSED';

export class StateError extends TributaryError {
  constructor(
    readonly reason: StateErrorReason,
    message: string,
    context: { [name: string]: unknown } = {},
  ) {
    super('INTERNAL', message, { reason, ...context });
    this.name = 'StateError';
  }
}
