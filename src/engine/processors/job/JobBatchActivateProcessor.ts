import { DEFAULT_TENANT_ID, type JobBatchRecordValue, type JobRecordValue, type Record } from '../../../protocol/index.js';
import { BatchSize, JOB_BATCH_SIZE_BYTES_MAX, raiseJobTooLarge } from '../../behaviors/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

export { JOB_BATCH_SIZE_BYTES_MAX };

/**
 * JOB_BATCH ACTIVATE: activates up to maxJobsToActivate activatable jobs of a type, oldest first. An activation that
 * finds nothing writes nothing at all: pollers ask often, and an empty answer changes no state.
 */
export class JobBatchActivateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as JobBatchRecordValue;
    const problem = validate(request);
    if (problem) {
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', problem);
      return;
    }
    const tenantIds = request.tenantIds && request.tenantIds.length > 0 ? request.tenantIds : [DEFAULT_TENANT_ID];
    const { jobKeys, jobs, truncated, tooLarge } = this.collectJobs(request, tenantIds, command.timestamp, context);
    for (const [jobKey, job] of tooLarge) raiseJobTooLarge(jobKey, job, context.behaviors.incidents);
    const batch: JobBatchRecordValue = { ...request, tenantIds, jobKeys, jobs, truncated };
    if (jobKeys.length === 0) {
      context.writers.respond(command, context.writers.unwrittenRecord(-1n, 'JOB_BATCH', 'ACTIVATED', batch));
      return;
    }
    const event = context.writers.appendEvent(context.state.keys.nextKey(), 'JOB_BATCH', 'ACTIVATED', batch);
    context.writers.respond(command, event);
  }

  private collectJobs(request: JobBatchRecordValue, tenantIds: string[], nowMs: number, context: ProcessingContext) {
    const jobKeys: bigint[] = [];
    const jobs: JobRecordValue[] = [];
    const tooLarge: [bigint, JobRecordValue][] = [];
    const batchSize = new BatchSize();
    const collected = { storedChars: 0 };
    let truncated = false;
    context.state.jobs.forEachActivatable(request.type, (jobKey, job) => {
      if (!tenantIds.includes(job.value.tenantId)) return true;
      collected.storedChars = 0;
      const variables = context.state.variables.collectVisible(job.value.elementInstanceKey, request.variables ?? [], collected);
      const fit = batchSize.add(variables, collected.storedChars);
      // A job that no batch could carry would block its type forever: it gets an incident instead, as in Zeebe.
      if (fit === 'too-large') {
        tooLarge.push([jobKey, job.value]);
        return tooLarge.length < TOO_LARGE_JOBS_PER_ACTIVATION_MAX;
      }
      if (fit === 'batch-full') {
        truncated = true;
        return false;
      }
      jobKeys.push(jobKey);
      jobs.push({ ...job.value, worker: request.worker, deadline: nowMs + request.timeout, timeout: request.timeout, variables });
      return jobKeys.length < request.maxJobsToActivate;
    });
    return { jobKeys, jobs, truncated, tooLarge };
  }
}

/** Bound on the incidents one activation raises for jobs too large to activate; the rest wait for the next one. */
const TOO_LARGE_JOBS_PER_ACTIVATION_MAX = 100;

function validate(request: JobBatchRecordValue): string | undefined {
  if (!request.type) return `Expected to activate job batch with type to be present, but it was blank`;
  if (!(request.maxJobsToActivate > 0)) {
    return `Expected to activate job batch with max jobs to activate to be greater than zero, but it was '${request.maxJobsToActivate}'`;
  }
  if (!(request.timeout > 0)) return `Expected to activate job batch with timeout to be greater than zero, but it was '${request.timeout}'`;
  return undefined;
}
