import type { JobRecordValue, Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { findJobIn, OPEN_JOB_STATES } from './job-preconditions.js';

/**
 * JOB THROW_ERROR: a business error from a worker. The nearest error catch event around the job's element catches
 * it (by its code, or catching every error); with none, an incident is raised, as in Zeebe.
 */
export class JobThrowErrorProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const job = findJobIn(command, context, 'throw an error for', OPEN_JOB_STATES);
    if (!job) return;
    const request = command.value as unknown as JobRecordValue;
    const thrown: JobRecordValue = {
      ...job.value,
      errorCode: request.errorCode ?? '',
      errorMessage: request.errorMessage ?? '',
      variables: request.variables ?? {},
    };
    const event = context.writers.appendEvent(command.key, 'JOB', 'ERROR_THROWN', thrown);
    context.writers.respond(command, event);
    if (context.behaviors.errors.throwError(job.value.elementInstanceKey, thrown.errorCode, thrown.variables)) return;
    const message =
      `Expected to throw an error event with the code '${thrown.errorCode}' with message '${thrown.errorMessage}', ` +
      `but it was not caught. No error events are available in the scope.`;
    context.behaviors.incidents.raiseJobIncident(command.key, thrown, 'UNHANDLED_ERROR_EVENT', message);
  }
}
