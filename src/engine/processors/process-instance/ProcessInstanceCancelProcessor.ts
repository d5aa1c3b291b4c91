import type { Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** PROCESS_INSTANCE CANCEL: terminates a root process instance with everything in it. */
export class ProcessInstanceCancelProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const instance = context.state.elementInstances.getInstance(command.key);
    if (!instance || instance.value.bpmnElementType !== 'PROCESS') {
      const reason = `Expected to cancel a process instance with key '${command.key}', but no such process was found`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    if (instance.value.parentProcessInstanceKey >= 0n) {
      const rootKey = rootProcessInstanceKey(instance.value.parentProcessInstanceKey, context);
      const reason = `Expected to cancel a process instance with key '${command.key}', but it is created by a parent process instance. Cancel the root process instance '${rootKey}' instead.`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    if (instance.state === 'TERMINATING') {
      const reason = `Expected to cancel a process instance with key '${command.key}', but it is already being terminated`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    // Zeebe answers the cancel request with the process's ELEMENT_TERMINATING event.
    const terminating = context.writers.unwrittenRecord(instance.key, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATING', instance.value);
    context.writers.respond(command, terminating);
    context.behaviors.elements.terminateElement(instance.key, instance.value);
  }
}

/** Bound on the walk up a call hierarchy; far above any real nesting. */
const CALL_DEPTH_MAX = 1000;

/** The process instance at the top of a call hierarchy (called instances live on their parent's partition). */
function rootProcessInstanceKey(processInstanceKey: bigint, context: ProcessingContext): bigint {
  let key = processInstanceKey;
  for (let depth = 0; depth < CALL_DEPTH_MAX; depth++) {
    const parentKey = context.state.elementInstances.getInstance(key)?.value.parentProcessInstanceKey ?? -1n;
    if (parentKey < 0n) return key;
    key = parentKey;
  }
  return key;
}
