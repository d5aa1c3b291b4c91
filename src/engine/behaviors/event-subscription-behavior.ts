import {
  addDuration,
  evaluateString,
  expressionText,
  nextCronTime,
  parseCycle,
  parseDate,
  parseDuration,
  resultTypeOf,
  type ExecutableFlowNode,
  type Expression,
  type TimerDefinition,
  type VariableLookup,
} from '../../bpmn/index.js';
import {
  partitionIdOf,
  type MessageSubscriptionRecordValue,
  type ProcessInstanceRecordValue,
  type ProcessMessageSubscriptionRecordValue,
  type SignalSubscriptionRecordValue,
  type TimerRecordValue,
} from '../../protocol/index.js';
import type { ReadonlyEngineState } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { Writers } from '../writers.js';
import type { CommandSender } from './command-sender.js';
import type { IncidentBehavior } from './incident-behavior.js';
import type { VariableBehavior } from './variable-behavior.js';

type Evaluated<T> = { ok: true; value: T } | { ok: false; message: string };

/** A timer's next due date and how many times it fires from then on (-1: forever). */
export interface TimerSchedule {
  dueDate: number;
  repetitions: number;
}

interface PlannedSubscription {
  event: ExecutableFlowNode;
  interrupting: boolean;
  message?: { name: string; correlationKey: string };
  timer?: TimerSchedule;
  signalName?: string;
}

/**
 * Opens and closes the event subscriptions of an element instance: the messages and timers its own catch event,
 * its boundary events or the events after its event-based gateway wait for. Every name, correlation key and timer
 * is evaluated before anything is written, so a failing expression raises one incident and opens nothing.
 */
export class EventSubscriptionBehavior {
  constructor(
    private readonly partitionId: number,
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
    private readonly commands: CommandSender,
    private readonly incidents: IncidentBehavior,
    private readonly variables: VariableBehavior,
  ) {}

  /** Opens the element's subscriptions; false (with an incident raised) when an expression failed. */
  subscribe(context: ElementContext): boolean {
    const events = catchEventsOf(context.element).filter((entry) => subscribesTo(context, entry.event));
    // Already open when an activation is retried after an incident (a job that could not be created).
    if (events.length === 0 || this.hasSubscriptions(context.key)) return true;
    const lookup = this.variables.lookup(context.key);
    const planned: PlannedSubscription[] = [];
    for (const { event, interrupting } of events) {
      const plan = this.plan(event, interrupting, lookup, context.nowMs);
      if (!plan.ok) {
        this.incidents.raiseElementIncident(context, 'EXTRACT_VALUE_ERROR', plan.message);
        return false;
      }
      planned.push(plan.value);
    }
    for (const plan of planned) {
      if (plan.message) this.openMessageSubscription(context, plan.event, plan.interrupting, plan.message);
      if (plan.timer) this.createTimer(context.key, context.value, plan.event.id, plan.timer);
      if (plan.signalName !== undefined) this.openSignalSubscription(context.key, context.value, plan.event.id, plan.signalName);
    }
    return true;
  }

  private hasSubscriptions(elementInstanceKey: bigint): boolean {
    let found = false;
    this.state.timers.forEachTimerOfElement(elementInstanceKey, () => {
      found = true;
    });
    this.state.subscriptions.forEachProcessMessageSubscription(elementInstanceKey, () => {
      found = true;
    });
    this.state.signalSubscriptions.forEachSubscriptionOfElement(elementInstanceKey, () => {
      found = true;
    });
    return found;
  }

  /** Closes every subscription of an element instance (it completes or terminates). */
  unsubscribe(elementInstanceKey: bigint): void {
    this.state.timers.forEachTimerOfElement(elementInstanceKey, (timer) => {
      this.writers.appendEvent(timer.key, 'TIMER', 'CANCELED', timer.value);
    });
    this.state.signalSubscriptions.forEachSubscriptionOfElement(elementInstanceKey, (subscription) => {
      this.writers.appendEvent(subscription.key, 'SIGNAL_SUBSCRIPTION', 'DELETED', subscription.value);
    });
    this.state.subscriptions.forEachProcessMessageSubscription(elementInstanceKey, (subscription) => {
      this.writers.appendEvent(subscription.key, 'PROCESS_MESSAGE_SUBSCRIPTION', 'DELETING', subscription.value);
      const value = subscription.value;
      this.commands.send(value.subscriptionPartitionId, 'MESSAGE_SUBSCRIPTION', 'DELETE', -1n, {
        ...messageSubscriptionOf(value, -1n),
      });
    });
  }

  /** Subscribes an element instance (or, with key -1, a signal start event) to a signal. */
  openSignalSubscription(
    elementInstanceKey: bigint,
    owner: Pick<ProcessInstanceRecordValue, 'processDefinitionKey' | 'bpmnProcessId' | 'tenantId'>,
    catchEventId: string,
    signalName: string,
  ): void {
    const subscription: SignalSubscriptionRecordValue = {
      processDefinitionKey: owner.processDefinitionKey,
      bpmnProcessId: owner.bpmnProcessId,
      catchEventId,
      catchEventInstanceKey: elementInstanceKey,
      signalName,
      tenantId: owner.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'SIGNAL_SUBSCRIPTION', 'CREATED', subscription);
  }

  createTimer(elementInstanceKey: bigint, owner: TimerOwner, targetElementId: string, schedule: TimerSchedule): void {
    const timer: TimerRecordValue = {
      elementInstanceKey,
      processInstanceKey: elementInstanceKey >= 0n ? owner.processInstanceKey : -1n,
      processDefinitionKey: owner.processDefinitionKey,
      dueDate: schedule.dueDate,
      targetElementId,
      repetitions: schedule.repetitions,
      tenantId: owner.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'TIMER', 'CREATED', timer);
  }

  private plan(event: ExecutableFlowNode, interrupting: boolean, lookup: VariableLookup, nowMs: number): Evaluated<PlannedSubscription> {
    const plan: PlannedSubscription = { event, interrupting };
    if (event.message?.correlationKey) {
      const name = evaluateString(event.message.name, lookup);
      if (!name.ok) return name;
      const correlationKey = evaluateCorrelationKey(event.message.correlationKey, lookup);
      if (!correlationKey.ok) return correlationKey;
      plan.message = { name: name.value, correlationKey: correlationKey.value };
    }
    if (event.signal && isCatchEvent(event)) {
      const name = evaluateString(event.signal.name, lookup);
      if (!name.ok) return name;
      plan.signalName = name.value;
    }
    if (event.timer) {
      const timer = scheduleTimer(event.timer, lookup, nowMs);
      if (!timer.ok) return timer;
      plan.timer = timer.value;
    }
    return { ok: true, value: plan };
  }

  private openMessageSubscription(
    context: ElementContext,
    event: ExecutableFlowNode,
    interrupting: boolean,
    message: { name: string; correlationKey: string },
  ): void {
    const value = context.value;
    const subscription: ProcessMessageSubscriptionRecordValue = {
      subscriptionPartitionId: this.commands.messagePartitionOf(message.correlationKey),
      processInstanceKey: value.processInstanceKey,
      elementInstanceKey: context.key,
      bpmnProcessId: value.bpmnProcessId,
      messageName: message.name,
      correlationKey: message.correlationKey,
      messageKey: -1n,
      variables: {},
      interrupting,
      elementId: event.id,
      tenantId: value.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'PROCESS_MESSAGE_SUBSCRIPTION', 'CREATING', subscription);
    this.commands.send(subscription.subscriptionPartitionId, 'MESSAGE_SUBSCRIPTION', 'CREATE', -1n, {
      ...messageSubscriptionOf(subscription, value.processDefinitionKey),
    });
  }

  /** The partition a process instance lives on (its key says it). */
  partitionOfInstance(processInstanceKey: bigint): number {
    return processInstanceKey >= 0n ? partitionIdOf(processInstanceKey) : this.partitionId;
  }
}

export type TimerOwner = Pick<ProcessInstanceRecordValue, 'processInstanceKey' | 'processDefinitionKey' | 'tenantId'>;

export function messageSubscriptionOf(value: ProcessMessageSubscriptionRecordValue, processDefinitionKey: bigint): MessageSubscriptionRecordValue {
  return {
    processInstanceKey: value.processInstanceKey,
    elementInstanceKey: value.elementInstanceKey,
    processDefinitionKey,
    bpmnProcessId: value.bpmnProcessId,
    messageName: value.messageName,
    correlationKey: value.correlationKey,
    messageKey: value.messageKey,
    variables: value.variables,
    interrupting: value.interrupting,
    tenantId: value.tenantId,
  };
}

/** A multi-instance body holds the boundary events; its inner instances the element's own events. */
function subscribesTo(context: ElementContext, event: ExecutableFlowNode): boolean {
  if (!context.element.multiInstance) return true;
  const isBoundary = event.bpmnElementType === 'BOUNDARY_EVENT';
  return context.value.bpmnElementType === 'MULTI_INSTANCE_BODY' ? isBoundary : !isBoundary;
}

/** The catch events an element instance waits for, and whether each interrupts it when it happens. */
function catchEventsOf(element: ExecutableFlowNode): { event: ExecutableFlowNode; interrupting: boolean }[] {
  const events: { event: ExecutableFlowNode; interrupting: boolean }[] = [];
  if (element.message || element.timer || element.signal) {
    if (element.bpmnElementType === 'INTERMEDIATE_CATCH_EVENT' || element.bpmnElementType === 'RECEIVE_TASK') {
      events.push({ event: element, interrupting: true });
    }
  }
  for (const start of element.eventSubProcessStarts ?? []) {
    if (start.message || start.timer || start.signal) events.push({ event: start, interrupting: start.interrupting !== false });
  }
  for (const boundary of element.boundaryEvents) {
    if (boundary.message || boundary.timer || boundary.signal) events.push({ event: boundary, interrupting: boundary.interrupting !== false });
  }
  if (element.bpmnElementType === 'EVENT_BASED_GATEWAY') {
    for (const flow of element.outgoing) events.push({ event: flow.target, interrupting: true });
  }
  return events;
}

function isCatchEvent(event: ExecutableFlowNode): boolean {
  return event.bpmnElementType !== 'INTERMEDIATE_THROW_EVENT' && event.bpmnElementType !== 'END_EVENT';
}

/** Zeebe's rule: a correlation key is a string or a number (used as its text). */
export function evaluateCorrelationKey(expression: Expression, lookup: VariableLookup): Evaluated<string> {
  const result = expression.evaluate(lookup);
  if (!result.ok) return result;
  if (typeof result.value === 'string') return { ok: true, value: result.value };
  if (typeof result.value === 'number' || typeof result.value === 'bigint') return { ok: true, value: String(result.value) };
  return {
    ok: false,
    message:
      `Failed to extract the correlation key for '${expressionText(expression)}': The value must be either a string or a number, ` +
      `but was '${resultTypeOf(result.value)}'.`,
  };
}

/** When a timer fires first and how often: a date once, a duration once from now, a cycle repeatedly. */
export function scheduleTimer(timer: TimerDefinition, lookup: VariableLookup, nowMs: number): Evaluated<TimerSchedule> {
  const text = evaluateString(timer.expression, lookup);
  if (!text.ok) return text;
  if (timer.kind === 'date') {
    const date = parseDate(text.value);
    return date.ok ? { ok: true, value: { dueDate: date.value, repetitions: 1 } } : date;
  }
  if (timer.kind === 'duration') {
    const duration = parseDuration(text.value);
    return duration.ok ? { ok: true, value: { dueDate: addDuration(nowMs, duration.value), repetitions: 1 } } : duration;
  }
  const cycle = parseCycle(text.value);
  if (!cycle.ok) return cycle;
  if (cycle.value.cron) {
    const next = nextCronTime(cycle.value.cron, nowMs);
    if (next === undefined) return { ok: false, message: `The cron expression '${text.value}' never fires` };
    return { ok: true, value: { dueDate: next, repetitions: -1 } };
  }
  const dueDate = cycle.value.startMs ?? addDuration(nowMs, cycle.value.duration);
  return { ok: true, value: { dueDate, repetitions: cycle.value.repetitions } };
}

/**
 * The next firing of a repeating timer after one fired, or undefined when it is done. A cron cycle fires next at
 * its first time after nowMs (the trigger command's timestamp), so that times missed while down are not repeated.
 */
export function nextTimerSchedule(
  timer: TimerDefinition,
  lookup: VariableLookup,
  fired: TimerRecordValue,
  nowMs = fired.dueDate,
): TimerSchedule | undefined {
  if (timer.kind !== 'cycle' || (fired.repetitions !== -1 && fired.repetitions <= 1)) return undefined;
  const text = evaluateString(timer.expression, lookup);
  if (!text.ok) return undefined;
  const cycle = parseCycle(text.value);
  if (!cycle.ok) return undefined;
  if (cycle.value.cron) {
    const next = nextCronTime(cycle.value.cron, Math.max(fired.dueDate, nowMs));
    return next === undefined ? undefined : { dueDate: next, repetitions: -1 };
  }
  return {
    dueDate: addDuration(fired.dueDate, cycle.value.duration),
    repetitions: fired.repetitions === -1 ? -1 : fired.repetitions - 1,
  };
}
