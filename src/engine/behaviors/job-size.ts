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
 * A MESSAGE_SIZE_EXCEEDED incident on a job no batch (and no job stream) could carry; the incident takes the job out
 * of activation until it is resolved (after the variables were made smaller, or with a worker that fetches fewer).
 */
export function raiseJobTooLarge(jobKey: bigint, job: JobRecordValue, incidents: IncidentBehavior): void {
  const message =
    `The job with key '${jobKey}' can not be activated, because with its variables it is larger than the configured ` +
    `message size (${JOB_BATCH_SIZE_BYTES_MAX} bytes). Try to reduce the size by fetching fewer variables or by making the variable values smaller.`;
  incidents.raiseJobIncident(jobKey, job, 'MESSAGE_SIZE_EXCEEDED', message);
}
