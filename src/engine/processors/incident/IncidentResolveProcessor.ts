import type { Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * INCIDENT RESOLVE: a job incident makes its job activatable again (it needs retries left); an element incident
 * runs the step that failed again (activation or completion), which may raise a new incident.
 */
export class IncidentResolveProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const incident = context.state.incidents.getIncident(command.key);
    if (!incident) {
      const reason = `Expected to resolve incident with key '${command.key}', but no such incident was found`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    const job = incident.jobKey >= 0n ? context.state.jobs.getJob(incident.jobKey) : undefined;
    if (job && job.value.retries <= 0) {
      const reason = `Expected to resolve incident with key '${command.key}', but job with key '${incident.jobKey}' has no retries left; update the job's retries first`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    const event = context.writers.appendEvent(command.key, 'INCIDENT', 'RESOLVED', incident);
    context.writers.respond(command, event);
    if (job) {
      context.behaviors.jobs.offer(incident.jobKey, job.value, command.timestamp);
      return;
    }
    this.retryElementStep(incident.elementInstanceKey, context);
  }

  private retryElementStep(elementInstanceKey: bigint, context: ProcessingContext): void {
    const instance = context.state.elementInstances.getInstance(elementInstanceKey);
    if (!instance) return;
    if (instance.state === 'ACTIVATING') {
      context.writers.appendCommand(instance.key, 'PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', instance.value);
    } else if (instance.state === 'COMPLETING') {
      context.behaviors.elements.completeElement(instance.key, instance.value);
    }
  }
}
