import type { ProcessOutline, StaticProcessCall } from './model.js';
import {
  extensionElementsOfType,
  type BpmnDefinitions,
  type BpmnFlowElement,
  type BpmnProcess,
  type ZeebeCalledElement,
  type ZeebeVersionTag,
} from './moddle-elements.js';
import type { XmlPosition } from './xml-scan.js';

const BINDING_TYPES: readonly string[] = ['latest', 'deployment', 'versionTag'];

/**
 * Reads the executable processes of the definitions and the static calls of their call activities straight from
 * the element tree, not from the executable model, so that a process left out for another problem still counts.
 * A call whose processId is FEEL, missing or ill-bound is left out: FEEL is resolved when the call activity runs,
 * the others are reported by the transformation already.
 */
export function outlineDefinitions(definitions: BpmnDefinitions | undefined, positionsById: ReadonlyMap<string, XmlPosition>): ProcessOutline {
  const executable = (definitions?.rootElements ?? []).filter(
    (element): element is BpmnProcess => element.$type === 'bpmn:Process' && (element as BpmnProcess).isExecutable === true && element.id !== undefined,
  );
  const processes = executable.map((process) => ({
    id: process.id as string,
    versionTag: extensionElementsOfType<ZeebeVersionTag>(process, 'zeebe:VersionTag')[0]?.value,
  }));
  const calls = executable.flatMap((process) => staticCalls(process.flowElements ?? [], positionsById));
  return { processes, calls };
}

function staticCalls(elements: readonly BpmnFlowElement[], positionsById: ReadonlyMap<string, XmlPosition>): StaticProcessCall[] {
  const calls: StaticProcessCall[] = [];
  for (const element of elements) {
    // Subprocesses and event subprocesses hold call activities too.
    if (element.flowElements !== undefined) calls.push(...staticCalls(element.flowElements, positionsById));
    if (element.$type !== 'bpmn:CallActivity' || element.id === undefined) continue;
    const called = extensionElementsOfType<ZeebeCalledElement>(element, 'zeebe:CalledElement')[0];
    const calledProcessId = called?.processId;
    if (calledProcessId === undefined || calledProcessId === '' || calledProcessId.startsWith('=')) continue;
    const bindingType = called?.bindingType ?? 'latest';
    if (!BINDING_TYPES.includes(bindingType) || (bindingType === 'versionTag' && !called?.versionTag)) continue;
    calls.push({
      elementId: element.id,
      calledProcessId,
      bindingType: bindingType as StaticProcessCall['bindingType'],
      versionTag: bindingType === 'versionTag' ? called?.versionTag : undefined,
      ...positionsById.get(element.id),
    });
  }
  return calls;
}
