import type { ExecutableFlowNode } from '../../bpmn/index.js';
import type { ProcessInstanceModificationRecordValue, Record } from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';
import { isActivatedWithoutFlow, isJoin } from '../behaviors/element-behavior.js';
import type { ProcessCache } from '../process-cache.js';

type Applier = (record: Record) => void;

/**
 * PROCESS_INSTANCE_MODIFICATION MODIFIED. A modification activates elements without a token on a sequence flow,
 * but their activation (and that of each flow scope created for them) consumes tokens of the scope around them
 * like any activation. So MODIFIED puts those tokens in: it restores what the created flow scopes (activated
 * before it) took from their parents, and counts each element as a token on its way until its ACTIVATE_ELEMENT
 * command consumes it. Until then its scope neither completes nor is taken for empty.
 */
export function processInstanceModificationAppliers(state: EngineState, processes: ProcessCache): [string, Applier][] {
  return [['PROCESS_INSTANCE_MODIFICATION.MODIFIED', (record) => applyModified(record, state, processes)]];
}

function applyModified(record: Record, state: EngineState, processes: ProcessCache): void {
  const value = record.value as unknown as ProcessInstanceModificationRecordValue;
  const instances = state.elementInstances;
  const processInstance = instances.getInstance(value.processInstanceKey);
  if (!processInstance) return;
  const process = processes.get(processInstance.value.processDefinitionKey);
  const addTokens = (scopeKey: bigint, tokens: number) => {
    if (tokens > 0) instances.updateInstance(scopeKey, (scope) => ({ activeSequenceFlows: scope.activeSequenceFlows + tokens }));
  };
  for (const instruction of value.activateInstructions) {
    const keys = instruction.ancestorScopeKeys;
    for (let index = 1; index < keys.length; index += 1) {
      const created = instances.getInstance(keys[index]);
      if (created) addTokens(keys[index - 1], tokensOf(created.value.bpmnElementType, created.value.bpmnEventType, process.elements.get(created.value.elementId)));
    }
    const element = process.elements.get(instruction.elementId);
    if (element && keys.length > 0) addTokens(keys[keys.length - 1], tokensOf(element.bpmnElementType, element.bpmnEventType, element));
  }
}

/** The tokens an element's activation consumes from its scope, as the ELEMENT_ACTIVATING applier counts them. */
function tokensOf(bpmnElementType: string, bpmnEventType: string, element: ExecutableFlowNode | undefined): number {
  if (isActivatedWithoutFlow(bpmnElementType, bpmnEventType)) return 0;
  return element && isJoin(element) ? element.incoming.length : 1;
}
