import { evaluateCondition, type ExecutableSequenceFlow } from '../../../bpmn/index.js';
import type { ElementContext, ProcessingContext } from '../../context.js';
import { terminateLeaf, type ElementProcessor } from './element-processor.js';

/** Exclusive gateway: the first flow whose condition is true, else the default flow, else an incident. */
export class ExclusiveGatewayProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const chosen = this.chooseFlow(element, context);
    if (!chosen) return;
    const { elements } = context.behaviors;
    elements.transition(element, 'ELEMENT_ACTIVATED');
    elements.transition(element, 'ELEMENT_COMPLETING');
    elements.transition(element, 'ELEMENT_COMPLETED');
    elements.takeFlow(element, chosen);
  }

  onComplete(): void {
    // Completed within activation: the gateway never waits.
  }

  readonly onTerminate = terminateLeaf;

  private chooseFlow(element: ElementContext, context: ProcessingContext): ExecutableSequenceFlow | undefined {
    const outgoing = element.element.outgoing;
    if (outgoing.length === 0) return undefined;
    const lookup = context.behaviors.variables.lookup(element.value.flowScopeKey);
    for (const flow of outgoing) {
      if (flow === element.element.defaultFlow) continue;
      if (!flow.condition) return flow;
      // Zeebe's semantics: anything but true or false (null included) is an error that raises an incident.
      const result = evaluateCondition(flow.condition, lookup);
      if (!result.ok) {
        context.behaviors.incidents.raiseElementIncident(element, 'CONDITION_ERROR', result.message);
        return undefined;
      }
      if (result.value) return flow;
    }
    if (element.element.defaultFlow) return element.element.defaultFlow;
    const message = `Expected at least one condition to evaluate to true, or to have a default flow`;
    context.behaviors.incidents.raiseElementIncident(element, 'CONDITION_ERROR', message);
    return undefined;
  }
}

/**
 * Inclusive gateway: as a fork, takes every flow whose condition is true, else the default flow, else raises an
 * incident; as a join, it is activated by ElementBehavior.activateReadyInclusiveJoins once no other token can come.
 */
export class InclusiveGatewayProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const chosen = this.chooseFlows(element, context);
    if (!chosen) return;
    const { elements } = context.behaviors;
    elements.transition(element, 'ELEMENT_ACTIVATED');
    elements.transition(element, 'ELEMENT_COMPLETING');
    elements.transition(element, 'ELEMENT_COMPLETED');
    if (chosen.length === 0) elements.takeOutgoingFlows(element);
    for (const flow of chosen) elements.takeFlow(element, flow);
  }

  onComplete(): void {
    // Completed within activation: the gateway never waits.
  }

  readonly onTerminate = terminateLeaf;

  /** The flows to take: an empty list when the gateway has no outgoing flow; undefined after an incident. */
  private chooseFlows(element: ElementContext, context: ProcessingContext): ExecutableSequenceFlow[] | undefined {
    const outgoing = element.element.outgoing;
    if (outgoing.length === 0) return [];
    const lookup = context.behaviors.variables.lookup(element.value.flowScopeKey);
    const chosen: ExecutableSequenceFlow[] = [];
    for (const flow of outgoing) {
      if (flow === element.element.defaultFlow) continue;
      if (!flow.condition) {
        chosen.push(flow);
        continue;
      }
      const result = evaluateCondition(flow.condition, lookup);
      if (!result.ok) {
        context.behaviors.incidents.raiseElementIncident(element, 'CONDITION_ERROR', result.message);
        return undefined;
      }
      if (result.value) chosen.push(flow);
    }
    if (chosen.length > 0) return chosen;
    if (element.element.defaultFlow) return [element.element.defaultFlow];
    const message = `Expected at least one condition to evaluate to true, or to have a default flow`;
    context.behaviors.incidents.raiseElementIncident(element, 'CONDITION_ERROR', message);
    return undefined;
  }
}

/** Parallel gateway: activated once every incoming flow has a token (see ElementBehavior), then forks to all. */
export class ParallelGatewayProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { elements } = context.behaviors;
    elements.transition(element, 'ELEMENT_ACTIVATED');
    elements.transition(element, 'ELEMENT_COMPLETING');
    elements.transition(element, 'ELEMENT_COMPLETED');
    elements.takeOutgoingFlows(element);
  }

  onComplete(): void {
    // Completed within activation: the gateway never waits.
  }

  readonly onTerminate = terminateLeaf;
}

/**
 * Event-based gateway: waits for the first of the events after it. The event that happens completes the gateway,
 * which takes the flow to that event; the event is activated as triggered already and passes through.
 */
export class EventBasedGatewayProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    if (!context.behaviors.eventSubscriptions.subscribe(element)) return;
    context.behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    const { elements, eventTriggers } = context.behaviors;
    const trigger = context.state.eventTriggers.getTrigger(element.key);
    if (!trigger) throw new Error(`Expected event-based gateway '${element.element.id}' to complete with a triggered event`);
    eventTriggers.consume(element.key);
    elements.transition(element, 'ELEMENT_COMPLETED');
    const flow = element.element.outgoing.find((candidate) => candidate.target.id === trigger.value.targetElementId);
    if (!flow) return;
    elements.writeFlowTaken(element, flow);
    eventTriggers.activateTriggeredEvent(flow.target, element.value.flowScopeKey, element.value, trigger.value.variables);
  }

  readonly onTerminate = terminateLeaf;
}
