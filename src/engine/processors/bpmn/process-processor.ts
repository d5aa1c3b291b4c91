import type { ProcessInstanceResultRecordValue } from '../../../protocol/index.js';
import type { ElementContext, ProcessingContext } from '../../context.js';
import type { ElementProcessor } from './element-processor.js';

/** The process itself: the root scope of an instance. */
export class ProcessProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    context.behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
    const startEvent = element.process.noneStartEvent;
    context.behaviors.elements.activateElement(startEvent, element.key, element.value);
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    const awaiting = context.awaitingResults.get(element.key);
    // Collect the result before COMPLETED is applied: it removes the instance's variables.
    const variables = awaiting ? context.state.variables.collectVisible(element.key, awaiting.fetchVariables) : undefined;
    context.behaviors.elements.transition(element, 'ELEMENT_COMPLETED');
    if (!awaiting) return;
    context.awaitingResults.delete(element.key);
    const value = element.value;
    const result: ProcessInstanceResultRecordValue = {
      bpmnProcessId: value.bpmnProcessId,
      version: value.version,
      processDefinitionKey: value.processDefinitionKey,
      processInstanceKey: value.processInstanceKey,
      variables: variables ?? {},
      tenantId: value.tenantId,
    };
    const record = context.writers.unwrittenRecord(element.key, 'PROCESS_INSTANCE_RESULT', 'COMPLETED', result);
    context.writers.respondTo(awaiting.requestId, awaiting.requestStreamId, record);
  }

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    context.awaitingResults.delete(element.key);
    const children: { key: bigint; value: ElementContext['value'] }[] = [];
    context.state.elementInstances.forEachChild(element.key, (child) => {
      if (child.state !== 'TERMINATING') children.push({ key: child.key, value: child.value });
    });
    if (children.length === 0) {
      context.behaviors.elements.finishScopeTerminationIfDone(element.key);
      return;
    }
    for (const child of children) context.behaviors.elements.terminateElement(child.key, child.value);
  }
}
