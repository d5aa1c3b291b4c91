import type { JobRecordValue, Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** JOB UPDATE_RETRIES: sets a job's retries; a job with an incident stays failed until the incident is resolved. */
export class JobUpdateRetriesProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const retries = (command.value as unknown as JobRecordValue).retries ?? 0;
    if (!Number.isInteger(retries) || retries < 1) {
      const reason = `Expected to update retries for job with key '${command.key}' with a positive amount of retries, but the amount given was '${retries}'`;
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
      return;
    }
    const job = context.state.jobs.getJob(command.key);
    if (!job) {
      const reason = `Expected to update retries for job with key '${command.key}', but no such job was found`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    const event = context.writers.appendEvent(command.key, 'JOB', 'RETRIES_UPDATED', { ...job.value, retries });
    context.writers.respond(command, event);
  }
}
