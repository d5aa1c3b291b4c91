import type { JobRecordValue, Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** JOB UPDATE_TIMEOUT: moves an activated job's deadline to now + the new timeout. */
export class JobUpdateTimeoutProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const timeoutMs = (command.value as unknown as JobRecordValue).timeout ?? 0;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 1) {
      const reason = `Expected to update the timeout of job with key '${command.key}' with a positive timeout, but the timeout given was '${timeoutMs}'`;
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
      return;
    }
    const job = context.state.jobs.getJob(command.key);
    if (!job) {
      context.writers.appendRejection(command, 'NOT_FOUND', `Expected to update the timeout of job with key '${command.key}', but no such job was found`);
      return;
    }
    if (job.state !== 'ACTIVATED') {
      const reason = `Expected to update the timeout of job with key '${command.key}', but it is not active`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    const updated: JobRecordValue = { ...job.value, timeout: timeoutMs, deadline: command.timestamp + timeoutMs };
    const event = context.writers.appendEvent(command.key, 'JOB', 'TIMEOUT_UPDATED', updated);
    context.writers.respond(command, event);
  }
}
