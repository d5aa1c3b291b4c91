import type { ExecutableFlowNode } from '../../bpmn/index.js';
import type { ProcessInstanceRecordValue, Record } from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';
import { isActivatedWithoutFlow, isInclusiveJoin, isJoin } from '../behaviors/element-behavior.js';
import type { ProcessCache } from '../process-cache.js';

type Applier = (record: Record) => void;

/** PROCESS_INSTANCE events: element instance lifecycle, scope bookkeeping and tokens on sequence flows. */
export function processInstanceAppliers(state: EngineState, processes: ProcessCache): [string, Applier][] {
  const instances = state.elementInstances;
  const setState = (lifecycle: 'ACTIVATED' | 'COMPLETING' | 'TERMINATING'): Applier => (record) =>
    instances.updateInstance(record.key, () => ({ state: lifecycle }));
  const remove: Applier = (record) => {
    instances.removeInstance(record.key);
    state.variables.removeScope(record.key);
    if ((record.value as unknown as ProcessInstanceRecordValue).bpmnElementType === 'PROCESS') {
      state.messages.removeActiveInstance(record.key);
      // A terminated instance leaves its compensation subscriptions behind (a completed one deleted them already).
      state.compensationSubscriptions.removeSubscriptionsOf(record.key);
    }
  };
  return [
    ['PROCESS_INSTANCE.ELEMENT_ACTIVATING', (record) => applyActivating(record, state, processes)],
    ['PROCESS_INSTANCE.ELEMENT_ACTIVATED', setState('ACTIVATED')],
    ['PROCESS_INSTANCE.ELEMENT_COMPLETING', setState('COMPLETING')],
    ['PROCESS_INSTANCE.ELEMENT_COMPLETED', (record) => {
      const value = record.value as unknown as ProcessInstanceRecordValue;
      if (value.bpmnElementType === 'END_EVENT' && value.bpmnEventType === 'TERMINATE') {
        instances.updateInstance(value.flowScopeKey, () => ({ terminateEndEventReached: true }));
      }
      remove(record);
    }],
    ['PROCESS_INSTANCE.ELEMENT_TERMINATING', setState('TERMINATING')],
    ['PROCESS_INSTANCE.ELEMENT_TERMINATED', remove],
    ['PROCESS_INSTANCE.SEQUENCE_FLOW_TAKEN', (record) => applySequenceFlowTaken(record, state, processes)],
  ];
}

function applyActivating(record: Record, state: EngineState, processes: ProcessCache): void {
  const value = record.value as unknown as ProcessInstanceRecordValue;
  state.elementInstances.createInstance(record.key, value);
  state.variables.createScope(record.key, value.flowScopeKey);
  if (value.bpmnElementType === 'PROCESS' && value.parentElementInstanceKey >= 0n) {
    state.elementInstances.updateInstance(value.parentElementInstanceKey, () => ({ calledChildInstanceKey: record.key }));
  }
  if (isActivatedWithoutFlow(value.bpmnElementType, value.bpmnEventType)) return;
  // Compensation handlers are activated by a compensation throw event, not over a flow.
  if (processes.get(value.processDefinitionKey).elements.get(value.elementId)?.isForCompensation) return;
  // Inner instances of a multi-instance activity are activated by their body, not over a flow.
  if (state.elementInstances.getInstance(value.flowScopeKey)?.value.bpmnElementType === 'MULTI_INSTANCE_BODY') return;
  // Every other element is reached over sequence flows: its activation consumes their tokens.
  const element = processes.get(value.processDefinitionKey).elements.get(value.elementId);
  const tokens = element && isInclusiveJoin(element) ? consumeInclusiveTokens(state, value.flowScopeKey, element) : element && isJoin(element) ? element.incoming.length : 1;
  state.elementInstances.updateInstance(value.flowScopeKey, (scope) => ({ activeSequenceFlows: scope.activeSequenceFlows - tokens }));
}

function applySequenceFlowTaken(record: Record, state: EngineState, processes: ProcessCache): void {
  const value = record.value as unknown as ProcessInstanceRecordValue;
  const instances = state.elementInstances;
  instances.updateInstance(value.flowScopeKey, (scope) => ({ activeSequenceFlows: scope.activeSequenceFlows + 1 }));
  const flow = processes.get(value.processDefinitionKey).sequenceFlows.get(value.elementId);
  if (!flow || !(isJoin(flow.target) || isInclusiveJoin(flow.target))) return;
  const gateway = flow.target;
  instances.incrementTakenFlow(value.flowScopeKey, gateway.id, flow.id);
  // An inclusive join consumes its tokens when it is activated (see ElementBehavior.activateReadyInclusiveJoins).
  if (isInclusiveJoin(gateway)) return;
  const joined = gateway.incoming.every((incoming) => instances.getTakenFlowCount(value.flowScopeKey, gateway.id, incoming.id) > 0);
  if (!joined) return;
  for (const incoming of gateway.incoming) instances.decrementTakenFlow(value.flowScopeKey, gateway.id, incoming.id);
}

/** An inclusive join consumes one token from each incoming flow that has one; the rest were never coming. */
function consumeInclusiveTokens(state: EngineState, flowScopeKey: bigint, gateway: ExecutableFlowNode): number {
  let tokens = 0;
  for (const incoming of gateway.incoming) {
    if (state.elementInstances.getTakenFlowCount(flowScopeKey, gateway.id, incoming.id) === 0) continue;
    state.elementInstances.decrementTakenFlow(flowScopeKey, gateway.id, incoming.id);
    tokens += 1;
  }
  return tokens;
}
