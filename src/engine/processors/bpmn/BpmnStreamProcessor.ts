import type { BpmnElementType, ExecutableFlowNode } from '../../../bpmn/index.js';
import { parseJson, stringifyJson, type ProcessInstanceRecordValue, type Record } from '../../../protocol/index.js';
import type { CommandProcessor, ElementContext, ProcessingContext } from '../../context.js';
import { evaluateMappings, isInclusiveJoin, isMultiInstanceBody } from '../../behaviors/index.js';
import { MultiInstanceBodyProcessor } from './multi-instance-body-processor.js';
import { CompensationThrowEventProcessor, EscalationThrowEventProcessor } from './escalation-compensation-events.js';
import type { ElementProcessor } from './element-processor.js';
import {
  CatchEventProcessor,
  ErrorEndEventProcessor,
  PassThroughEventProcessor,
  LinkThrowEventProcessor,
  SignalThrowEventProcessor,
  TerminateEndEventProcessor,
} from './events.js';
import { EventBasedGatewayProcessor, ExclusiveGatewayProcessor, InclusiveGatewayProcessor, ParallelGatewayProcessor } from './gateway-processors.js';
import { CallActivityProcessor, EventSubProcessProcessor, ProcessProcessor, SubProcessProcessor } from './scope-processors.js';
import { JobWorkerProcessor, PassThroughTaskProcessor, ScriptTaskProcessor } from './task-processors.js';

const passThroughEvent = new PassThroughEventProcessor();
const jobWorker = new JobWorkerProcessor();
const catchEvent = new CatchEventProcessor();

const ELEMENT_PROCESSORS: { [T in BpmnElementType]?: ElementProcessor } = {
  PROCESS: new ProcessProcessor(),
  SUB_PROCESS: new SubProcessProcessor(),
  CALL_ACTIVITY: new CallActivityProcessor(),
  EVENT_SUB_PROCESS: new EventSubProcessProcessor(),
  START_EVENT: passThroughEvent,
  INTERMEDIATE_CATCH_EVENT: catchEvent,
  INTERMEDIATE_THROW_EVENT: passThroughEvent,
  BOUNDARY_EVENT: passThroughEvent,
  END_EVENT: passThroughEvent,
  SERVICE_TASK: jobWorker,
  SEND_TASK: jobWorker,
  BUSINESS_RULE_TASK: jobWorker,
  USER_TASK: jobWorker,
  SCRIPT_TASK: new ScriptTaskProcessor(),
  RECEIVE_TASK: catchEvent,
  MANUAL_TASK: new PassThroughTaskProcessor(),
  TASK: new PassThroughTaskProcessor(),
  EXCLUSIVE_GATEWAY: new ExclusiveGatewayProcessor(),
  PARALLEL_GATEWAY: new ParallelGatewayProcessor(),
  INCLUSIVE_GATEWAY: new InclusiveGatewayProcessor(),
  EVENT_BASED_GATEWAY: new EventBasedGatewayProcessor(),
};

const errorEndEvent = new ErrorEndEventProcessor();
const multiInstanceBody = new MultiInstanceBodyProcessor();
const terminateEndEvent = new TerminateEndEventProcessor();
const signalThrowEvent = new SignalThrowEventProcessor();
const linkThrowEvent = new LinkThrowEventProcessor();
const escalationThrowEvent = new EscalationThrowEventProcessor();
const compensationThrowEvent = new CompensationThrowEventProcessor();

/** The processor of an element: by its type, and for events that throw, by what they throw. */
function processorOf(element: ExecutableFlowNode): ElementProcessor | undefined {
  if (element.job && element.bpmnElementType !== 'SCRIPT_TASK') return jobWorker;
  if (element.bpmnElementType === 'END_EVENT' && element.bpmnEventType === 'ERROR') return errorEndEvent;
  if (element.bpmnElementType === 'END_EVENT' && element.bpmnEventType === 'TERMINATE') return terminateEndEvent;
  const throws = element.bpmnElementType === 'END_EVENT' || element.bpmnElementType === 'INTERMEDIATE_THROW_EVENT';
  if (throws && element.bpmnEventType === 'SIGNAL') return signalThrowEvent;
  if (throws && element.bpmnEventType === 'ESCALATION') return escalationThrowEvent;
  if (throws && element.bpmnEventType === 'COMPENSATION') return compensationThrowEvent;
  if (element.bpmnEventType === 'LINK') return throws ? linkThrowEvent : passThroughEvent;
  return ELEMENT_PROCESSORS[element.bpmnElementType];
}

/**
 * Processes PROCESS_INSTANCE ACTIVATE_ELEMENT, COMPLETE_ELEMENT and TERMINATE_ELEMENT: writes the lifecycle event,
 * applies the element's mappings, and hands over to the processor of the element's type. A step that stopped at
 * an incident is run again by the same command once the incident is resolved, without repeating its event.
 */
export class BpmnStreamProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as ProcessInstanceRecordValue;
    const process = context.processes.get(value.processDefinitionKey);
    const element: ExecutableFlowNode | undefined = value.bpmnElementType === 'PROCESS' ? process : process.elements.get(value.elementId);
    if (!element) throw new Error(`Expected element '${value.elementId}' in process '${value.bpmnProcessId}', but it is missing`);
    const elementContext: ElementContext = { key: command.key, value, element, process, nowMs: command.timestamp };
    const processor = isMultiInstanceBody(value) ? multiInstanceBody : processorOf(element);
    if (!processor) throw new Error(`No processor for element type ${element.bpmnElementType}`);
    switch (command.intent) {
      case 'ACTIVATE_ELEMENT':
        this.activate(elementContext, processor, context);
        break;
      case 'COMPLETE_ELEMENT':
        this.complete(elementContext, processor, context);
        break;
      case 'TERMINATE_ELEMENT':
        this.terminate(elementContext, processor, context);
        break;
      default:
        throw new Error(`Unexpected intent ${command.intent}`);
    }
    // Whatever happened in the scope may have been the last thing an inclusive join was waiting for.
    if (value.flowScopeKey >= 0n) context.behaviors.elements.activateReadyInclusiveJoins(value.flowScopeKey, process, value);
  }

  private activate(element: ElementContext, processor: ElementProcessor, context: ProcessingContext): void {
    const instance = context.state.elementInstances.getInstance(element.key);
    if (instance && instance.state !== 'ACTIVATING') return;
    if (!instance) {
      const scope = context.state.elementInstances.getInstance(element.value.flowScopeKey);
      // The scope was terminated (or reached a terminate end event) while this activation was on its way: the
      // token is gone with it.
      const scopeKey = element.value.flowScopeKey;
      const interrupted = scopeKey >= 0n && context.behaviors.eventTriggers.isInterrupted(scopeKey);
      if (scopeKey >= 0n && (!scope || scope.state !== 'ACTIVATED' || scope.terminateEndEventReached || interrupted)) return;
      // An inclusive join may be activated twice before its first activation consumes the tokens: the later one finds
      // the join not ready (or ready again with new tokens) and is dropped unless it is.
      if (isInclusiveJoin(element.element) && !context.behaviors.elements.canJoinInclusive(scopeKey, element.element, element.process)) return;
      context.behaviors.elements.transition(element, 'ELEMENT_ACTIVATING');
    }
    // A multi-instance body leaves the mappings to its inner instances, which see their input element.
    if (element.element.inputMappings.length > 0 && !isMultiInstanceBody(element.value)) {
      const result = evaluateMappings(element.element.inputMappings, context.behaviors.variables.lookup(element.key));
      if (!result.ok) return context.behaviors.incidents.raiseElementIncident(element, 'IO_MAPPING_ERROR', result.message);
      context.behaviors.variables.mergeLocal(element.key, result.document, element.value);
    }
    processor.onActivate(element, context);
  }

  private complete(element: ElementContext, processor: ElementProcessor, context: ProcessingContext): void {
    const instance = context.state.elementInstances.getInstance(element.key);
    if (!instance || (instance.state !== 'ACTIVATED' && instance.state !== 'COMPLETING')) return;
    if (instance.state === 'ACTIVATED') {
      context.behaviors.elements.transition(element, 'ELEMENT_COMPLETING');
      context.behaviors.eventSubscriptions.unsubscribe(element.key);
    }
    if (isMultiInstanceBody(element.value)) return this.completeBody(element, processor, context);
    // An event completes with the variables of the message (or error) that triggered it.
    const trigger = context.behaviors.eventTriggers.triggerOf(element.key, element.element.id);
    const variables = trigger ? stringifyJson(trigger.value.variables) : instance.completionVariables;
    if (!this.applyOutputs(element, variables, context)) return;
    if (trigger) context.behaviors.eventTriggers.consume(element.key);
    processor.onComplete(element, context);
  }

  /** A multi-instance body completes once its inner instances are gone, handing its output collection up. */
  private completeBody(body: ElementContext, processor: ElementProcessor, context: ProcessingContext): void {
    const instance = context.state.elementInstances.getInstance(body.key);
    if (!instance || instance.childCount > 0) return;
    const outputCollection = body.element.multiInstance?.outputCollection;
    const stored = outputCollection ? context.state.variables.getLocal(body.key, outputCollection) : undefined;
    if (outputCollection && stored) {
      context.behaviors.variables.mergePropagate(body.value.flowScopeKey, { [outputCollection]: parseJson(stored.value) }, body.value);
    }
    processor.onComplete(body, context);
  }

  /** Zeebe's output semantics: with output mappings, job variables stay local and only mapped values propagate. */
  private applyOutputs(element: ElementContext, completionVariables: string | undefined, context: ProcessingContext): boolean {
    const { variables } = context.behaviors;
    const document = completionVariables ? (parseJson(completionVariables) as { [name: string]: unknown }) : undefined;
    const outputs = element.element.outputMappings;
    if (outputs.length === 0) {
      if (document) variables.mergePropagate(element.key, document, element.value);
      return true;
    }
    if (document) variables.mergeLocal(element.key, document, element.value);
    const result = evaluateMappings(outputs, variables.lookup(element.key));
    if (!result.ok) {
      context.behaviors.incidents.raiseElementIncident(element, 'IO_MAPPING_ERROR', result.message);
      return false;
    }
    variables.mergePropagate(element.value.flowScopeKey, result.document, element.value);
    return true;
  }

  private terminate(element: ElementContext, processor: ElementProcessor, context: ProcessingContext): void {
    const instance = context.state.elementInstances.getInstance(element.key);
    if (!instance || instance.state === 'TERMINATING') return;
    context.behaviors.elements.transition(element, 'ELEMENT_TERMINATING');
    context.behaviors.eventSubscriptions.unsubscribe(element.key);
    processor.onTerminate(element, context);
  }
}
