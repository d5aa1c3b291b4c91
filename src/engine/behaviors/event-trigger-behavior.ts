import type { ExecutableFlowNode, ExecutableProcess } from '../../bpmn/index.js';
import type { ProcessEventRecordValue, ProcessInstanceRecordValue, ProcessRecordValue, VariableDocument } from '../../protocol/index.js';
import type { ElementInstance, ReadonlyEngineState } from '../../state/domain/index.js';
import type { ProcessCache } from '../process-cache.js';
import type { Writers } from '../writers.js';
import type { ElementBehavior } from './element-behavior.js';

/**
 * What happens when a message, timer or error reaches the element instance that waits for it (Zeebe's event
 * triggers): the event is recorded as PROCESS_EVENT TRIGGERING for a scope, and the scope acts on it. A catch event
 * or receive task completes with the event's variables; an interrupting boundary event first terminates its
 * activity and is activated once the activity is terminated; a non-interrupting one is activated beside it; an
 * event-based gateway completes and goes on to the event that happened.
 */
export class EventTriggerBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
    private readonly processes: ProcessCache,
    private readonly elements: ElementBehavior,
  ) {}

  /**
   * An event the element instance subscribed to happened; targetElementId is the catch element (the instance's own
   * element, one of its boundary events, or an event after its event-based gateway). Returns false when the
   * instance can no longer be triggered (it is leaving, or an interrupting event was triggered already).
   */
  trigger(instance: ElementInstance, targetElementId: string, variables: VariableDocument): boolean {
    if (!this.canTrigger(instance)) return false;
    const process = this.processes.get(instance.value.processDefinitionKey);
    const target = process.elements.get(targetElementId);
    if (!target) return false;
    if (target.bpmnElementType === 'START_EVENT' && target.flowScope?.bpmnElementType === 'EVENT_SUB_PROCESS') {
      this.triggerEventSubProcess(instance, target, variables);
      return true;
    }
    if (target.bpmnElementType === 'BOUNDARY_EVENT') {
      if (!target.interrupting) {
        this.activateTriggeredEvent(target, instance.value.flowScopeKey, instance.value, variables);
        return true;
      }
      this.writeTriggering(instance.key, target.id, instance.value, variables);
      this.elements.terminateElement(instance.key, instance.value);
      return true;
    }
    this.writeTriggering(instance.key, target.id, instance.value, variables);
    this.elements.completeElement(instance.key, instance.value);
    return true;
  }

  /**
   * An event subprocess's start event happened in its scope. A non-interrupting one starts beside what runs; an
   * interrupting one first terminates everything else in the scope and starts once the last child is gone.
   */
  private triggerEventSubProcess(scope: ElementInstance, start: ExecutableFlowNode, variables: VariableDocument): void {
    if (start.interrupting === false) {
      this.activateEventSubProcess(scope, start, variables);
      return;
    }
    this.writeTriggering(scope.key, start.id, scope.value, variables);
    if (this.elements.terminateChildren(scope.key) === 0) this.activateInterruptingEventSubProcess(scope.key);
  }

  /** The scope's children are gone: an interrupting event subprocess waiting for that starts now. Returns true if one did. */
  activateInterruptingEventSubProcess(scopeKey: bigint): boolean {
    const scope = this.state.elementInstances.getInstance(scopeKey);
    const trigger = this.state.eventTriggers.getTrigger(scopeKey);
    if (!scope || scope.state !== 'ACTIVATED' || scope.childCount > 0 || !trigger) return false;
    const start = this.processes.get(scope.value.processDefinitionKey).elements.get(trigger.value.targetElementId);
    if (!start || start.flowScope?.bpmnElementType !== 'EVENT_SUB_PROCESS') return false;
    this.consume(scopeKey);
    this.activateEventSubProcess(scope, start, trigger.value.variables);
    return true;
  }

  /** Whether an interrupting event subprocess is about to take over the scope (nothing else may start in it). */
  isInterrupted(scopeKey: bigint): boolean {
    return this.state.eventTriggers.getTrigger(scopeKey) !== undefined;
  }

  private activateEventSubProcess(scope: ElementInstance, start: ExecutableFlowNode, variables: VariableDocument): void {
    const eventSubProcess = start.flowScope;
    if (!eventSubProcess) return;
    const key = this.state.keys.nextKey();
    this.writeTriggering(key, start.id, scope.value, variables);
    this.elements.activateElementWithKey(key, eventSubProcess, scope.key, scope.value);
  }

  /** Whether an event can still reach the element instance: it waits, and no interrupting event came first. */
  canTrigger(instance: ElementInstance): boolean {
    return instance.state === 'ACTIVATED' && !this.state.eventTriggers.getTrigger(instance.key);
  }

  /** Activates an event element that was triggered already (boundary, start, after an event-based gateway). */
  activateTriggeredEvent(
    element: ExecutableFlowNode,
    flowScopeKey: bigint,
    template: ProcessInstanceRecordValue,
    variables: VariableDocument,
  ): bigint {
    const key = this.state.keys.nextKey();
    this.writeTriggering(key, element.id, template, variables);
    this.elements.activateElementWithKey(key, element, flowScopeKey, template);
    return key;
  }

  /** The trigger an element instance completes with (its own event), if it was triggered. */
  triggerOf(key: bigint, elementId: string) {
    const trigger = this.state.eventTriggers.getTrigger(key);
    return trigger && trigger.value.targetElementId === elementId ? trigger : undefined;
  }

  /** The event has been acted on. */
  consume(scopeKey: bigint): void {
    const trigger = this.state.eventTriggers.getTrigger(scopeKey);
    if (trigger) this.writers.appendEvent(trigger.key, 'PROCESS_EVENT', 'TRIGGERED', trigger.value);
  }

  /**
   * An element instance was terminated: when an interrupting boundary event (of its own) caused it, that event is
   * activated now. Returns true when it was.
   */
  activateInterruptingEvent(terminated: { key: bigint; value: ProcessInstanceRecordValue }): boolean {
    const trigger = this.state.eventTriggers.getTrigger(terminated.key);
    if (!trigger) return false;
    this.consume(terminated.key);
    const process = this.processes.get(terminated.value.processDefinitionKey);
    const event = process.elements.get(trigger.value.targetElementId);
    if (!event || event.bpmnElementType !== 'BOUNDARY_EVENT') return false;
    this.activateTriggeredEvent(event, terminated.value.flowScopeKey, terminated.value, trigger.value.variables);
    return true;
  }

  /**
   * Starts a new instance of a process at one of its event start events (a message or timer start event): the
   * process is activated with the start event's trigger, which the process picks up on activation.
   */
  startInstance(
    process: ProcessRecordValue,
    startEventId: string,
    variables: VariableDocument,
    processInstanceKey = this.state.keys.nextKey(),
  ): bigint {
    const value: ProcessInstanceRecordValue = {
      bpmnProcessId: process.bpmnProcessId,
      version: process.version,
      processDefinitionKey: process.processDefinitionKey,
      processInstanceKey,
      elementId: process.bpmnProcessId,
      flowScopeKey: -1n,
      bpmnElementType: 'PROCESS',
      bpmnEventType: 'UNSPECIFIED',
      parentProcessInstanceKey: -1n,
      parentElementInstanceKey: -1n,
      tenantId: process.tenantId,
    };
    this.writeTriggering(processInstanceKey, startEventId, value, variables);
    this.writers.appendCommand(processInstanceKey, 'PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', value);
    return processInstanceKey;
  }

  /** The start event a process instance starts at: the one its trigger names, else the none start event. */
  startEventOf(processInstance: { key: bigint }, process: ExecutableProcess): { start?: ExecutableFlowNode; variables?: VariableDocument } {
    const trigger = this.state.eventTriggers.getTrigger(processInstance.key);
    if (!trigger) return { start: process.noneStartEvent };
    this.consume(processInstance.key);
    return { start: process.elements.get(trigger.value.targetElementId), variables: trigger.value.variables };
  }

  private writeTriggering(scopeKey: bigint, targetElementId: string, template: ProcessInstanceRecordValue, variables: VariableDocument): void {
    const value: ProcessEventRecordValue = {
      scopeKey,
      targetElementId,
      variables,
      processDefinitionKey: template.processDefinitionKey,
      processInstanceKey: template.processInstanceKey,
      tenantId: template.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'PROCESS_EVENT', 'TRIGGERING', value);
  }
}
