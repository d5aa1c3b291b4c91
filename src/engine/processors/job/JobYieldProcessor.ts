import type { Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** JOB YIELD: a job pushed to a stream that went away or did not keep up is given back and becomes activatable again. */
export class JobYieldProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const job = context.state.jobs.getJob(command.key);
    if (!job || job.state !== 'ACTIVATED') {
      context.writers.appendRejection(command, 'INVALID_STATE', `Expected to yield activated job with key '${command.key}', but it is not activated`);
      return;
    }
    context.writers.appendEvent(command.key, 'JOB', 'YIELDED', job.value);
    context.writers.sideEffect({ kind: 'jobs-available', jobType: job.value.type });
  }
}
