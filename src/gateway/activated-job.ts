import type { JobBatchRecordValue, JobRecordValue } from '../protocol/index.js';
import { int64Text } from './gateway-context.js';
import { stringifyJson } from '../protocol/index.js';
import type { ActivatedJobMessage } from './messages.js';

/** The ActivatedJob message of one activated job; headers and variables go as JSON text. */
export function activatedJob(key: bigint, job: JobRecordValue): ActivatedJobMessage {
  return {
    key: key.toString(),
    type: job.type,
    processInstanceKey: int64Text(job.processInstanceKey),
    bpmnProcessId: job.bpmnProcessId,
    processDefinitionVersion: job.processDefinitionVersion,
    processDefinitionKey: int64Text(job.processDefinitionKey),
    elementId: job.elementId,
    elementInstanceKey: int64Text(job.elementInstanceKey),
    customHeaders: job.customHeaders === undefined ? '{}' : JSON.stringify(job.customHeaders),
    worker: job.worker,
    retries: job.retries,
    deadline: String(job.deadline),
    variables: stringifyJson(job.variables),
    tenantId: job.tenantId,
    kind: job.jobKind || 'BPMN_ELEMENT',
    listenerEventType: job.jobListenerEventType || 'UNSPECIFIED',
  };
}

/** The jobs of a JOB_BATCH ACTIVATED record: jobKeys[i] is the key of jobs[i]. */
export function activatedJobs(batch: JobBatchRecordValue): ActivatedJobMessage[] {
  const jobs = batch.jobs ?? [];
  const keys = batch.jobKeys ?? [];
  if (keys.length !== jobs.length) {
    throw new Error(`Expected a JOB_BATCH with one key per job, but got ${keys.length} keys for ${jobs.length} jobs`);
  }
  const messages: ActivatedJobMessage[] = new Array(jobs.length);
  for (let i = 0; i < jobs.length; i++) messages[i] = activatedJob(keys[i], jobs[i]);
  return messages;
}
