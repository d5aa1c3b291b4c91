export * from './types.js';
export { StateStore, type StateStoreOptions, type TakeSnapshotOptions, type TransactionListener } from './state-store.js';
export { restoreSnapshot } from './snapshot-restore.js';
export { SnapshotStore, SNAPSHOT_KEEP_COUNT_DEFAULT, type SnapshotStoreOptions } from './snapshot-store.js';
export type { SnapshotTarget } from './snapshot-writer.js';
export { StateError, type StateErrorReason } from './errors.js';
export { STATE_FORMAT_VERSION } from './format.js';
