import type { JobRecordValue, Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { findJobIn, OPEN_JOB_STATES } from './job-preconditions.js';

/**
 * JOB FAIL: with retries left the job becomes activatable again (after its back-off, if any); with none left an
 * incident is raised. Variables given with the failure become local variables of the job's element.
 */
export class JobFailProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const job = findJobIn(command, context, 'fail', OPEN_JOB_STATES);
    if (!job) return;
    const request = command.value as unknown as JobRecordValue;
    const retries = request.retries ?? 0;
    const backoffMs = Math.max(0, request.retryBackoff ?? 0);
    const failed: JobRecordValue = {
      ...job.value,
      retries,
      errorMessage: request.errorMessage ?? '',
      retryBackoff: backoffMs,
      recurringTime: retries > 0 && backoffMs > 0 ? command.timestamp + backoffMs : -1,
      variables: request.variables ?? {},
    };
    const event = context.writers.appendEvent(command.key, 'JOB', 'FAILED', failed);
    context.writers.respond(command, event);
    this.setLocalVariables(failed, context);
    if (retries <= 0) {
      const message = failed.errorMessage || 'No more retries left.';
      context.behaviors.incidents.raiseJobIncident(command.key, failed, 'JOB_NO_RETRIES', message);
    } else if (backoffMs === 0) {
      context.behaviors.jobs.offer(command.key, failed, command.timestamp);
    }
  }

  private setLocalVariables(job: JobRecordValue, context: ProcessingContext): void {
    if (Object.keys(job.variables).length === 0) return;
    const owner = {
      processInstanceKey: job.processInstanceKey,
      processDefinitionKey: job.processDefinitionKey,
      bpmnProcessId: job.bpmnProcessId,
      tenantId: job.tenantId,
    };
    context.behaviors.variables.mergeLocal(job.elementInstanceKey, job.variables, owner);
  }
}
