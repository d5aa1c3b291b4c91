import type { ProcessRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export interface ReadonlyProcessState {
  getProcessByKey(processDefinitionKey: bigint): ProcessRecordValue | undefined;
  getLatestProcess(bpmnProcessId: string, tenantId: string): ProcessRecordValue | undefined;
  getProcessByVersion(bpmnProcessId: string, version: number, tenantId: string): ProcessRecordValue | undefined;
}

/** Deployed process definitions: by key, by version and the latest version of each bpmnProcessId. */
export class ProcessState implements ReadonlyProcessState {
  private readonly byKey: Column<[bigint], any>;
  private readonly byVersion: Column<[string, string, number], bigint>;
  private readonly latest: Column<[string, string], bigint>;

  constructor(store: StateStore) {
    this.byKey = store.column('process-by-key', 1);
    this.byVersion = store.column('process-by-version', 3);
    this.latest = store.column('process-latest', 2);
  }

  getProcessByKey(processDefinitionKey: bigint): ProcessRecordValue | undefined {
    return this.byKey.get(processDefinitionKey);
  }

  getLatestProcess(bpmnProcessId: string, tenantId: string): ProcessRecordValue | undefined {
    const key = this.latest.get(tenantId, bpmnProcessId);
    return key === undefined ? undefined : this.getProcessByKey(key);
  }

  getProcessByVersion(bpmnProcessId: string, version: number, tenantId: string): ProcessRecordValue | undefined {
    const key = this.byVersion.get(tenantId, bpmnProcessId, version);
    return key === undefined ? undefined : this.getProcessByKey(key);
  }

  putProcess(process: ProcessRecordValue): void {
    this.byKey.put([process.processDefinitionKey], process);
    this.byVersion.put([process.tenantId, process.bpmnProcessId, process.version], process.processDefinitionKey);
    const latest = this.getLatestProcess(process.bpmnProcessId, process.tenantId);
    if (!latest || latest.version < process.version) {
      this.latest.put([process.tenantId, process.bpmnProcessId], process.processDefinitionKey);
    }
  }
}
