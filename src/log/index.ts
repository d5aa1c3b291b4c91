export type { LogEntry, LogReader } from './log-entry.js';
export type { LogOptions } from './log-options.js';
export { LogCorruptedError } from './log-corrupted-error.js';
export { SegmentedLog } from './segmented-log.js';
export { SEGMENT_FORMAT_VERSION } from './segment-format.js';
