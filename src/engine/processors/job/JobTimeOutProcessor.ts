import type { Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** JOB TIME_OUT (written by the deadline checker): an activation that expired makes the job activatable again. */
export class JobTimeOutProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const job = context.state.jobs.getJob(command.key);
    if (!job || job.state !== 'ACTIVATED' || job.value.deadline > command.timestamp) {
      const reason = `Expected to time out activated job with key '${command.key}', but it is not activated or its deadline has not passed`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    context.writers.appendEvent(command.key, 'JOB', 'TIMED_OUT', job.value);
    context.behaviors.jobs.offer(command.key, job.value, command.timestamp);
  }
}
