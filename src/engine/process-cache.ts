import { parseResource, type ExecutableProcess } from '../bpmn/index.js';
import type { ReadonlyProcessState } from '../state/domain/index.js';

/**
 * Executable models by process definition key. Derived data: filled when a deployment is processed and, after a
 * restart, by parsing the stored resource on first use (parsing is synchronous and deterministic).
 */
export class ProcessCache {
  private readonly processes = new Map<bigint, ExecutableProcess>();

  constructor(private readonly state: ReadonlyProcessState) {}

  put(processDefinitionKey: bigint, process: ExecutableProcess): void {
    this.processes.set(processDefinitionKey, process);
  }

  get(processDefinitionKey: bigint): ExecutableProcess {
    const cached = this.processes.get(processDefinitionKey);
    if (cached) return cached;
    const stored = this.state.getProcessByKey(processDefinitionKey);
    if (!stored) throw new Error(`Expected process definition ${processDefinitionKey} in state, but it is missing`);
    const parsed = parseResource(stored.resource, stored.resourceName);
    const process = parsed.processes.find((candidate) => candidate.id === stored.bpmnProcessId);
    if (!process) throw new Error(`Expected resource '${stored.resourceName}' to contain process '${stored.bpmnProcessId}'`);
    this.processes.set(processDefinitionKey, process);
    return process;
  }
}
