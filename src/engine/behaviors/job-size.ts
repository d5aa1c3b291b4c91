import { stringifyJson, type JobRecordValue } from '../../protocol/index.js';
import type { IncidentBehavior } from './incident-behavior.js';

/**
 * Bound on the variables of one activated batch, below the gateway's 4 MiB message limit; a batch that would pass
 * it is cut short and marked truncated, the rest stay activatable. A pushed job is a batch of one.
 */
export const JOB_BATCH_SIZE_BYTES_MAX = 3 * 1024 * 1024;

/** Room for a job's fields besides its variables. */
const JOB_FIELDS_SIZE_BYTES = 512;

/** About how many bytes a job with these variables takes in a batch. */
export function jobSizeBytes(variables: { [name: string]: unknown }): number {
  return stringifyJson(variables).length + JOB_FIELDS_SIZE_BYTES;
}

/**
 * The JSON of parsed variables is at most this many times the characters they were stored in: a number token of one
 * character or more is written in at most 25 (1e20 is written out in full), a string character in at most 6 (an
 * escape), and a variable's quotes, colon and comma in its one extra counted character (see CollectedChars).
 */
const STORED_CHARS_GROWTH_MAX = 25;

/** At least jobSizeBytes of variables whose stored names and JSON text took storedChars, found without writing them. */
export function jobSizeBoundBytes(storedChars: number): number {
  return STORED_CHARS_GROWTH_MAX * storedChars + '{}'.length + JOB_FIELDS_SIZE_BYTES;
}

/** Where a job goes in a batch being filled: in it, not in it because the batch is full, or in no batch at all. */
export type JobFit = 'fits' | 'batch-full' | 'too-large';

/**
 * Fills one batch up to JOB_BATCH_SIZE_BYTES_MAX with the same decisions as measuring every job's JSON, but writing
 * that JSON (about as costly as the activation itself) only once the bounds from what was read could pass the limit:
 * until then the exact sizes are known to fit. From then on every job is measured, and those already taken once.
 */
export class BatchSize {
  private boundBytes = 0;
  private exactBytes: number | undefined;
  private readonly unmeasured: Array<{ [name: string]: unknown }> = [];
  private jobCount = 0;

  /** Takes the job when it fits (storedChars: what collecting its variables read, see CollectedChars). */
  add(variables: { [name: string]: unknown }, storedChars: number): JobFit {
    const boundBytes = jobSizeBoundBytes(storedChars);
    if (this.exactBytes === undefined && this.boundBytes + boundBytes <= JOB_BATCH_SIZE_BYTES_MAX) {
      this.boundBytes += boundBytes;
      this.unmeasured.push(variables);
      this.jobCount++;
      return 'fits';
    }
    const sizeBytes = jobSizeBytes(variables);
    if (sizeBytes > JOB_BATCH_SIZE_BYTES_MAX) return 'too-large';
    this.exactBytes ??= this.unmeasured.reduce((sum, taken) => sum + jobSizeBytes(taken), 0);
    this.unmeasured.length = 0;
    if (this.exactBytes + sizeBytes > JOB_BATCH_SIZE_BYTES_MAX && this.jobCount > 0) return 'batch-full';
    this.exactBytes += sizeBytes;
    this.jobCount++;
    return 'fits';
  }
}

/** Whether a job with these variables is too large for any batch: a pushed job is a batch of one. */
export function jobTooLarge(variables: { [name: string]: unknown }, storedChars: number): boolean {
  return new BatchSize().add(variables, storedChars) === 'too-large';
}

/**
 * A MESSAGE_SIZE_EXCEEDED incident on a job no batch (and no job stream) could carry; the incident takes the job out
 * of activation until it is resolved (after the variables were made smaller, or with a worker that fetches fewer).
 */
export function raiseJobTooLarge(jobKey: bigint, job: JobRecordValue, incidents: IncidentBehavior): void {
  const message =
    `The job with key '${jobKey}' can not be activated, because with its variables it is larger than the configured ` +
    `message size (${JOB_BATCH_SIZE_BYTES_MAX} bytes). Try to reduce the size by fetching fewer variables or by making the variable values smaller.`;
  incidents.raiseJobIncident(jobKey, job, 'MESSAGE_SIZE_EXCEEDED', message);
}
