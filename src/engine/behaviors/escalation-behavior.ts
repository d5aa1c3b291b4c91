import type { ExecutableFlowNode } from '../../bpmn/index.js';
import type { EscalationRecordValue } from '../../protocol/index.js';
import type { ElementInstance, ReadonlyEngineState } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { ProcessCache } from '../process-cache.js';
import type { Writers } from '../writers.js';
import type { EventTriggerBehavior } from './event-trigger-behavior.js';

/** What became of a thrown escalation: the catch event that caught it, if any. */
export interface EscalationOutcome {
  catchEvent?: ExecutableFlowNode;
}

/**
 * Throws an escalation from an escalation throw or end event, with Zeebe's semantics: the closest catch event in
 * the scope hierarchy catches it (inside a scope its escalation event subprocesses, then the boundary events of
 * the subprocess or call activity; one with the code wins over a catch-all one). A called process's escalation
 * goes on to its call activity. Unlike an error, an escalation that nothing catches is no incident: it is recorded
 * as NOT_ESCALATED and the flow goes on.
 */
export class EscalationBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
    private readonly processes: ProcessCache,
    private readonly eventTriggers: EventTriggerBehavior,
  ) {}

  throwEscalation(thrower: ElementContext, escalationCode: string): EscalationOutcome {
    const caught = this.findCatchEvent(thrower.value.flowScopeKey, escalationCode);
    const catchEvent = caught?.catchEvent;
    const value: EscalationRecordValue = {
      processInstanceKey: thrower.value.processInstanceKey,
      escalationCode,
      throwElementId: thrower.element.id,
      catchElementId: catchEvent?.id ?? '',
      tenantId: thrower.value.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'ESCALATION', catchEvent ? 'ESCALATED' : 'NOT_ESCALATED', value);
    if (caught) this.eventTriggers.trigger(caught.instance, caught.catchEvent.id, {});
    return { catchEvent };
  }

  /** The closest catch event that can still be triggered, and the element instance it belongs to. */
  private findCatchEvent(scopeKey: bigint, escalationCode: string): { instance: ElementInstance; catchEvent: ExecutableFlowNode } | undefined {
    let instance = this.state.elementInstances.getInstance(scopeKey);
    for (let depth = 0; instance && depth < SCOPE_DEPTH_MAX; depth++) {
      const catchEvent = this.catchEventOf(instance, escalationCode);
      if (catchEvent && this.eventTriggers.canTrigger(instance)) return { instance, catchEvent };
      const next = instance.value.flowScopeKey >= 0n ? instance.value.flowScopeKey : instance.value.parentElementInstanceKey;
      instance = this.state.elementInstances.getInstance(next);
    }
    return undefined;
  }

  private catchEventOf(instance: ElementInstance, escalationCode: string): ExecutableFlowNode | undefined {
    const process = this.processes.get(instance.value.processDefinitionKey);
    const element = instance.value.bpmnElementType === 'PROCESS' ? process : process.elements.get(instance.value.elementId);
    if (!element) return undefined;
    // The boundary events of a multi-instance activity belong to its body; its event subprocesses to the inner instances.
    const isBody = instance.value.bpmnElementType === 'MULTI_INSTANCE_BODY';
    const isInner = element.multiInstance !== undefined && !isBody;
    const isEscalation = (event: ExecutableFlowNode) => event.bpmnEventType === 'ESCALATION';
    const inside = isBody ? [] : (element.eventSubProcessStarts ?? []).filter(isEscalation);
    const boundary = isInner ? [] : element.boundaryEvents.filter(isEscalation);
    return matching(inside, escalationCode) ?? matching(boundary, escalationCode);
  }
}

/** The catch event of the code, else a catch-all one. Catch codes are static (checked at deployment). */
function matching(events: readonly ExecutableFlowNode[], escalationCode: string): ExecutableFlowNode | undefined {
  const byCode = events.find((event) => event.escalation?.escalationCode?.source === escalationCode);
  return byCode ?? events.find((event) => event.escalation?.escalationCode === undefined);
}

/** Bound on the walk up the scopes; far above any real nesting. */
const SCOPE_DEPTH_MAX = 1000;
