import type { JobRecordValue, Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { findJobIn, OPEN_JOB_STATES } from './job-preconditions.js';

/** JOB COMPLETE: completes the job and, with it, its element (which applies the variables and output mappings). */
export class JobCompleteProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const job = findJobIn(command, context, 'complete', OPEN_JOB_STATES);
    if (!job) return;
    const request = command.value as unknown as JobRecordValue;
    const completed: JobRecordValue = { ...job.value, variables: request.variables ?? {} };
    const event = context.writers.appendEvent(command.key, 'JOB', 'COMPLETED', completed);
    context.writers.respond(command, event);
    const instance = context.state.elementInstances.getInstance(job.value.elementInstanceKey);
    if (instance && instance.state === 'ACTIVATED') context.behaviors.elements.completeElement(instance.key, instance.value);
  }
}
