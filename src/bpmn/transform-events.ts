import { compileExpressionField } from './expression-fields.js';
import { optionalExtensionElement } from './extension-elements.js';
import { messages } from './messages.js';
import type { BpmnEventType, ExecutableFlowNode, TimerDefinition } from './model.js';
import type { BpmnEventDefinition, BpmnFlowElement, BpmnMessage, ZeebeSubscription } from './moddle-elements.js';
import { checkTimerText } from './timer.js';
import { report, type TransformContext } from './transform-context.js';

const EVENT_TYPES: { readonly [moddleType: string]: BpmnEventType } = {
  'bpmn:MessageEventDefinition': 'MESSAGE',
  'bpmn:TimerEventDefinition': 'TIMER',
  'bpmn:ErrorEventDefinition': 'ERROR',
  'bpmn:TerminateEventDefinition': 'TERMINATE',
  'bpmn:SignalEventDefinition': 'SIGNAL',
  'bpmn:LinkEventDefinition': 'LINK',
  'bpmn:EscalationEventDefinition': 'ESCALATION',
  'bpmn:CompensateEventDefinition': 'COMPENSATION',
};

/** Which event types each event element supports (Zeebe's; the others come later). */
const SUPPORTED_EVENTS: { readonly [elementType: string]: readonly BpmnEventType[] } = {
  START_EVENT: ['NONE', 'MESSAGE', 'TIMER', 'SIGNAL', 'ERROR', 'ESCALATION'],
  INTERMEDIATE_CATCH_EVENT: ['MESSAGE', 'TIMER', 'SIGNAL', 'LINK'],
  INTERMEDIATE_THROW_EVENT: ['NONE', 'MESSAGE', 'SIGNAL', 'LINK', 'ESCALATION', 'COMPENSATION'],
  BOUNDARY_EVENT: ['MESSAGE', 'TIMER', 'ERROR', 'SIGNAL', 'ESCALATION', 'COMPENSATION'],
  END_EVENT: ['NONE', 'ERROR', 'TERMINATE', 'MESSAGE', 'SIGNAL', 'ESCALATION', 'COMPENSATION'],
};

/**
 * Reads the event definition of an event element into the node: its event type, and the message, timer or error
 * it waits for or throws. Returns false when it reported the definition as unsupported.
 */
export function transformEventDefinition(context: TransformContext, element: BpmnFlowElement, node: ExecutableFlowNode): boolean {
  const definitions = element.eventDefinitions ?? [];
  if (definitions.length > 1) {
    report(context, element.id, messages.multipleEventDefinitions());
    return false;
  }
  const definition = definitions[0] as BpmnEventDefinition | undefined;
  const eventType = definition === undefined ? 'NONE' : EVENT_TYPES[definition.$type];
  if (eventType === undefined || !SUPPORTED_EVENTS[node.bpmnElementType]?.includes(eventType)) {
    const type = definition?.$type ?? 'none event';
    report(context, element.id, messages.unsupportedEventDefinition(type, element.$type));
    return false;
  }
  node.bpmnEventType = eventType;
  if (definition === undefined) return true;
  if (eventType === 'MESSAGE' && isCatching(node)) transformMessage(context, element, definition.messageRef, node);
  if (node.bpmnElementType === 'START_EVENT' && node.flowScope?.bpmnElementType === 'EVENT_SUB_PROCESS') {
    node.interrupting = element.isInterrupting !== false;
  }
  if (eventType === 'TIMER') node.timer = transformTimer(context, element, definition);
  if (eventType === 'ERROR') transformError(context, element, definition, node);
  if (eventType === 'ESCALATION') transformEscalation(context, element, definition, node);
  // The activity to compensate (activityRef) and a boundary event's handler are resolved with their scope.
  if (eventType === 'COMPENSATION') node.compensation = {};
  if (eventType === 'LINK') {
    if (definition.name === undefined || definition.name === '') report(context, element.id, messages.missingLinkName());
    else node.link = { name: definition.name };
  }
  if (eventType === 'SIGNAL') {
    const name = definition.signalRef?.name;
    if (name === undefined || name === '') report(context, element.id, messages.missingSignalName());
    const expression = name ? compileExpressionField(context, element.id, name) : undefined;
    if (expression) node.signal = { name: expression };
  }
  return true;
}

function isCatching(node: ExecutableFlowNode): boolean {
  return node.bpmnElementType !== 'INTERMEDIATE_THROW_EVENT' && node.bpmnElementType !== 'END_EVENT';
}

/** A message reference: its name and, except on start events, its zeebe:subscription correlation key. */
export function transformMessage(
  context: TransformContext,
  element: BpmnFlowElement,
  message: BpmnMessage | undefined,
  node: ExecutableFlowNode,
): void {
  if (message === undefined) {
    report(context, element.id, messages.missingMessageRef());
    return;
  }
  if (message.name === undefined || message.name === '') {
    report(context, element.id, messages.missingMessageName());
    return;
  }
  const name = compileExpressionField(context, element.id, message.name);
  if (name === undefined) return;
  if (node.bpmnElementType === 'START_EVENT' && node.flowScope?.bpmnElementType !== 'EVENT_SUB_PROCESS') {
    node.message = { name };
    return;
  }
  const subscription = optionalExtensionElement<ZeebeSubscription>(context, message, 'zeebe:Subscription', 'subscription');
  if (subscription?.correlationKey === undefined || subscription.correlationKey === '') {
    report(context, element.id, messages.missingCorrelationKey());
    return;
  }
  const correlationKey = compileExpressionField(context, element.id, subscription.correlationKey);
  if (correlationKey !== undefined) node.message = { name, correlationKey };
}

function transformTimer(context: TransformContext, element: BpmnFlowElement, definition: BpmnEventDefinition): TimerDefinition | undefined {
  const candidates = [
    ['date', definition.timeDate],
    ['duration', definition.timeDuration],
    ['cycle', definition.timeCycle],
  ] as const;
  const present = candidates.filter(([, expression]) => expression !== undefined);
  if (present.length !== 1) {
    report(context, element.id, messages.missingTimerDefinition());
    return undefined;
  }
  const [kind, formal] = present[0];
  const text = formal?.body?.trim();
  const expression = compileExpressionField(context, element.id, text);
  if (expression === undefined || text === undefined) return undefined;
  if (expression.isStatic) {
    const problem = checkTimerText(kind, text);
    if (problem !== undefined) {
      report(context, element.id, messages.invalidTimer(kind, text, problem));
      return undefined;
    }
  }
  return { kind, expression };
}

function transformError(context: TransformContext, element: BpmnFlowElement, definition: BpmnEventDefinition, node: ExecutableFlowNode): void {
  const code = definition.errorRef?.errorCode;
  if (node.bpmnElementType === 'START_EVENT' && node.flowScope?.bpmnElementType !== 'EVENT_SUB_PROCESS') {
    report(context, element.id, messages.unsupportedEventDefinition(definition.$type, 'bpmn:StartEvent of a process'));
    return;
  }
  if (node.bpmnElementType === 'END_EVENT') {
    if (code === undefined || code === '') {
      report(context, element.id, messages.missingErrorCode());
      return;
    }
    const errorCode = compileExpressionField(context, element.id, code);
    if (errorCode !== undefined) node.error = { errorCode };
    return;
  }
  // A catch event without an error reference (or without a code) catches every error.
  const errorCode = code === undefined || code === '' ? undefined : compileExpressionField(context, element.id, code);
  node.error = { errorCode };
}

/**
 * Escalation codes: a throw or end event needs one (static or FEEL); a catch event catches that code (a static
 * value), or every escalation when it has no escalation reference or no code. Start events only start event
 * subprocesses.
 */
function transformEscalation(context: TransformContext, element: BpmnFlowElement, definition: BpmnEventDefinition, node: ExecutableFlowNode): void {
  const code = definition.escalationRef?.escalationCode;
  if (node.bpmnElementType === 'START_EVENT' && node.flowScope?.bpmnElementType !== 'EVENT_SUB_PROCESS') {
    report(context, element.id, messages.unsupportedEventDefinition(definition.$type, 'bpmn:StartEvent of a process'));
    return;
  }
  if (!isCatching(node)) {
    if (code === undefined || code === '') {
      report(context, element.id, messages.missingEscalationCode());
      return;
    }
    const escalationCode = compileExpressionField(context, element.id, code);
    if (escalationCode !== undefined) node.escalation = { escalationCode };
    return;
  }
  if (code === undefined || code === '') {
    node.escalation = {};
    return;
  }
  const escalationCode = compileExpressionField(context, element.id, code);
  if (escalationCode !== undefined && !escalationCode.isStatic) report(context, element.id, messages.escalationCatchCodeExpression(code));
  else if (escalationCode !== undefined) node.escalation = { escalationCode };
}
