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

/**
 * Whether a job with these variables is too large for any batch. Writing their JSON only to measure it costs about
 * as much as the push itself, so it is written only when the bound from what was read could pass the limit.
 */
export function jobTooLarge(variables: { [name: string]: unknown }, storedChars: number): boolean {
  if (jobSizeBoundBytes(storedChars) <= JOB_BATCH_SIZE_BYTES_MAX) return false;
  return jobSizeBytes(variables) > JOB_BATCH_SIZE_BYTES_MAX;
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
