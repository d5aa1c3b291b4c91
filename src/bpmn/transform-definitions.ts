import { messages } from './messages.js';
import type { ExecutableProcess } from './model.js';
import type { BpmnDefinitions, BpmnProcess, ModdleElement } from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';
import { transformProcess } from './transform-process.js';

/**
 * Transforms the executable processes of the definitions. Processes not marked executable are documentation
 * (as in Zeebe) and are skipped; other root elements (collaborations, messages, ...) carry nothing to run yet.
 */
export function transformDefinitions(context: TransformContext, definitions: BpmnDefinitions): ExecutableProcess[] {
  const executable = (definitions.rootElements ?? []).filter(isExecutableProcess);
  if (executable.length === 0) {
    report(context, definitions.id, messages.noExecutableProcess());
    return [];
  }
  const processes: ExecutableProcess[] = [];
  for (const bpmnProcess of executable) {
    const process = transformProcess(context, bpmnProcess);
    if (process !== undefined) {
      processes.push(process);
    }
  }
  return processes;
}

/** As in Zeebe, a process without isExecutable="true" is not executable. */
function isExecutableProcess(element: ModdleElement): element is BpmnProcess {
  return element.$type === 'bpmn:Process' && (element as BpmnProcess).isExecutable === true;
}
