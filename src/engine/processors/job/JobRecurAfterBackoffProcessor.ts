import type { Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** JOB RECUR_AFTER_BACKOFF (written by the back-off checker): a failed job whose back-off ended is activatable. */
export class JobRecurAfterBackoffProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const job = context.state.jobs.getJob(command.key);
    if (!job || job.state !== 'FAILED' || job.value.retries <= 0 || job.value.recurringTime > command.timestamp) {
      const reason = `Expected to recur failed job with key '${command.key}' after its back-off, but it is not waiting for one`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    context.writers.appendEvent(command.key, 'JOB', 'RECURRED_AFTER_BACKOFF', job.value);
    context.behaviors.jobs.offer(command.key, job.value, command.timestamp);
  }
}
