import type { CalledElementDefinition } from '../../../bpmn/index.js';
import type {
  ProcessInstanceRecordValue,
  ProcessInstanceResultRecordValue,
  ProcessRecordValue,
  VariableDocument,
} from '../../../protocol/index.js';
import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, terminateLeaf, terminateScope, type ElementProcessor } from './element-processor.js';

/** The process itself: the root scope of an instance, started at its none start event or at a triggered one. */
export class ProcessProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    const { start, variables } = behaviors.eventTriggers.startEventOf(element, element.process);
    if (!behaviors.eventSubscriptions.subscribe(element)) return;
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
    if (!start) throw new Error(`Expected process '${element.process.id}' to have the start event to start at, but it has none`);
    if (variables) behaviors.eventTriggers.activateTriggeredEvent(start, element.key, element.value, variables);
    else behaviors.elements.activateElement(start, element.key, element.value);
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    const awaiting = context.awaitingResults.get(element.key);
    // Collect the result before COMPLETED is applied: it removes the instance's variables.
    const variables = awaiting ? context.state.variables.collectVisible(element.key, awaiting.fetchVariables) : undefined;
    const isCalled = element.value.parentElementInstanceKey >= 0n;
    const childVariables = isCalled ? context.state.variables.collectVisible(element.key) : undefined;
    // Read before COMPLETED is applied: it frees the correlation key of a message-started instance.
    const startedByMessage = context.state.messages.getCorrelationKeyOfInstance(element.key);
    context.behaviors.compensations.deleteSubscriptions(element.key);
    context.behaviors.elements.transition(element, 'ELEMENT_COMPLETED');
    context.behaviors.messages.correlateNextBufferedStart(startedByMessage, element.value.processDefinitionKey, element.nowMs);
    if (childVariables) completeCallActivity(element, childVariables, context);
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
    terminateScope(element, context);
  }
}

/** Event subprocesses: started by the event of their start event (the trigger recorded for their key). */
export class EventSubProcessProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    const trigger = context.state.eventTriggers.getTrigger(element.key);
    const start = trigger && element.process.elements.get(trigger.value.targetElementId);
    if (!trigger || !start) throw new Error(`Expected event subprocess '${element.element.id}' to be started by an event`);
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
    behaviors.eventTriggers.consume(element.key);
    behaviors.eventTriggers.activateTriggeredEvent(start, element.key, element.value, trigger.value.variables);
  }

  readonly onComplete = completeAndLeave;

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    terminateScope(element, context);
  }
}

/** Embedded subprocesses: a scope inside the process, started at its none start event; boundary events apply. */
export class SubProcessProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    if (!behaviors.eventSubscriptions.subscribe(element)) return;
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
    const start = element.element.noneStartEvent;
    if (!start) throw new Error(`Expected subprocess '${element.element.id}' to have a none start event, but it has none`);
    behaviors.elements.activateElement(start, element.key, element.value);
  }

  readonly onComplete = completeAndLeave;

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    terminateScope(element, context);
  }
}

/**
 * Call activities: start an instance of the called process (the version its binding type names; the id may be FEEL) with the
 * parent's variables (all visible ones, or only the call activity's own with propagateAllParentVariables off),
 * and complete when it completes, with its variables (all of them, or only what the output mappings take with
 * propagateAllChildVariables off). Terminating the call activity terminates the child first.
 */
export class CallActivityProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors, state } = context;
    const called = element.element.calledElement;
    if (!called) throw new Error(`Call activity '${element.element.id}' has no called element`);
    const processId = behaviors.incidents.evaluateStringOrRaise(element, called.processId, behaviors.variables.lookup(element.key));
    if (processId === undefined) return;
    const resolved = resolveCalledProcess(element, called, processId, context);
    if (!resolved.ok) return behaviors.incidents.raiseElementIncident(element, 'CALLED_ELEMENT_ERROR', resolved.message);
    const process = resolved.process;
    if (!context.processes.get(process.processDefinitionKey).noneStartEvent) {
      const message = `Expected process with BPMN process id '${processId}' to have a none start event, but not found.`;
      return behaviors.incidents.raiseElementIncident(element, 'CALLED_ELEMENT_ERROR', message);
    }
    if (!behaviors.eventSubscriptions.subscribe(element)) return;
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
    const childKey = state.keys.nextKey();
    const child: ProcessInstanceRecordValue = {
      bpmnProcessId: process.bpmnProcessId,
      version: process.version,
      processDefinitionKey: process.processDefinitionKey,
      processInstanceKey: childKey,
      elementId: process.bpmnProcessId,
      flowScopeKey: -1n,
      bpmnElementType: 'PROCESS',
      bpmnEventType: 'UNSPECIFIED',
      parentProcessInstanceKey: element.value.processInstanceKey,
      parentElementInstanceKey: element.key,
      tenantId: process.tenantId,
    };
    context.writers.appendCommand(childKey, 'PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', child);
    behaviors.variables.mergeLocal(childKey, this.parentVariables(element, context), child);
  }

  readonly onComplete = completeAndLeave;

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    const childKey = context.state.elementInstances.getInstance(element.key)?.calledChildInstanceKey ?? -1n;
    const child = childKey >= 0n ? context.state.elementInstances.getInstance(childKey) : undefined;
    if (!child) return terminateLeaf(element, context);
    if (child.state !== 'TERMINATING') context.behaviors.elements.terminateElement(child.key, child.value);
  }

  private parentVariables(element: ElementContext, context: ProcessingContext): VariableDocument {
    if (element.element.calledElement?.propagateAllParentVariables !== false) return context.state.variables.collectVisible(element.key);
    const local: VariableDocument = {};
    context.state.variables.forEachLocal(element.key, (name) => {
      local[name] = context.state.variables.getVisibleValue(element.key, name);
    });
    return local;
  }
}

/**
 * The version a call activity calls, by its binding type: the latest version; the version deployed by the same
 * deployment as the calling process; or the latest version with the version tag.
 */
function resolveCalledProcess(
  element: ElementContext,
  called: CalledElementDefinition,
  processId: string,
  context: ProcessingContext,
): { ok: true; process: ProcessRecordValue } | { ok: false; message: string } {
  const processes = context.state.processes;
  const tenantId = element.value.tenantId;
  if (called.bindingType === 'deployment') {
    const deploymentKey = processes.getProcessByKey(element.value.processDefinitionKey)?.deploymentKey ?? -1n;
    const process = processes.getProcessByDeployment(processId, deploymentKey, tenantId);
    if (process) return { ok: true, process };
    const message =
      `Expected to call process with BPMN process id '${processId}' with binding type 'deployment', but no such process ` +
      `found in the deployment with key ${deploymentKey} which contained the current process.`;
    return { ok: false, message };
  }
  if (called.bindingType === 'versionTag') {
    const versionTag = called.versionTag ?? '';
    const process = processes.getLatestProcessWithVersionTag(processId, versionTag, tenantId);
    if (process) return { ok: true, process };
    const message =
      `Expected to call process with BPMN process id '${processId}' and version tag '${versionTag}', but no such ` +
      'process found. To resolve this incident, deploy a process with the given process id and version tag.';
    return { ok: false, message };
  }
  const process = processes.getLatestProcess(processId, tenantId);
  if (process) return { ok: true, process };
  return { ok: false, message: `Expected process with BPMN process id '${processId}' to be deployed, but not found.` };
}

/** A called process instance completed: its call activity completes with the child's variables. */
function completeCallActivity(child: ElementContext, childVariables: VariableDocument, context: ProcessingContext): void {
  const parent = context.state.elementInstances.getInstance(child.value.parentElementInstanceKey);
  if (!parent) return;
  const callActivity = context.processes.get(parent.value.processDefinitionKey).elements.get(parent.value.elementId);
  const propagate = callActivity?.calledElement?.propagateAllChildVariables !== false || (callActivity?.outputMappings.length ?? 0) > 0;
  context.behaviors.eventTriggers.trigger(parent, parent.value.elementId, propagate ? childVariables : {});
}
