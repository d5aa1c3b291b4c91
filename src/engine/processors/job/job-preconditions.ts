import type { Record } from '../../../protocol/index.js';
import type { JobLifecycle, StoredJob } from '../../../state/domain/index.js';
import type { ProcessingContext } from '../../context.js';

/**
 * Looks the job of a command up and checks its state; on failure writes the rejection (Zeebe's wording) and
 * returns undefined.
 */
export function findJobIn(
  command: Record,
  context: ProcessingContext,
  verb: string,
  allowed: readonly JobLifecycle[],
): StoredJob | undefined {
  const job = context.state.jobs.getJob(command.key);
  if (!job) {
    context.writers.appendRejection(command, 'NOT_FOUND', `Expected to ${verb} job with key '${command.key}', but no such job was found`);
    return undefined;
  }
  if (!allowed.includes(job.state)) {
    const reason = `Expected to ${verb} job with key '${command.key}', but it is in state '${job.state}'`;
    context.writers.appendRejection(command, 'INVALID_STATE', reason);
    return undefined;
  }
  return job;
}

export const OPEN_JOB_STATES: readonly JobLifecycle[] = ['ACTIVATABLE', 'ACTIVATED'];
