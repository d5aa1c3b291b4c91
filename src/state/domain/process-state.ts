import type { ProcessRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export interface ReadonlyProcessState {
  getProcessByKey(processDefinitionKey: bigint): ProcessRecordValue | undefined;
  getLatestProcess(bpmnProcessId: string, tenantId: string): ProcessRecordValue | undefined;
  getProcessByVersion(bpmnProcessId: string, version: number, tenantId: string): ProcessRecordValue | undefined;
  /** A deleted process stays readable by key for its running instances, but no new instance may start from it. */
  isProcessDeleted(processDefinitionKey: bigint): boolean;
  /** The highest version ever deployed, deleted ones included: versions are not reused. */
  getHighestVersion(bpmnProcessId: string, tenantId: string): number;
  /** The version of a process deployed by a deployment (not deleted), for a call activity bound to its deployment. */
  getProcessByDeployment(bpmnProcessId: string, deploymentKey: bigint, tenantId: string): ProcessRecordValue | undefined;
  /** The latest version (not deleted) of a process that has this zeebe:versionTag. */
  getLatestProcessWithVersionTag(bpmnProcessId: string, versionTag: string, tenantId: string): ProcessRecordValue | undefined;
  /** Visits the latest version (not deleted) of every process of every tenant. */
  forEachLatestProcess(visitor: (process: ProcessRecordValue) => void): void;
}

/** Deployed process definitions: by key, by version and the latest version of each bpmnProcessId. */
export class ProcessState implements ReadonlyProcessState {
  private readonly byKey: Column<[bigint], any>;
  private readonly byVersion: Column<[string, string, number], bigint>;
  private readonly latest: Column<[string, string], bigint>;
  private readonly deleted: Column<[bigint], boolean>;
  private readonly highestVersion: Column<[string, string], number>;

  constructor(store: StateStore) {
    this.byKey = store.column('process-by-key', 1);
    this.byVersion = store.column('process-by-version', 3);
    this.latest = store.column('process-latest', 2);
    this.deleted = store.column('process-deleted', 1);
    this.highestVersion = store.column('process-highest-version', 2);
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

  isProcessDeleted(processDefinitionKey: bigint): boolean {
    return this.deleted.get(processDefinitionKey) === true;
  }

  getHighestVersion(bpmnProcessId: string, tenantId: string): number {
    const latestVersion = this.getLatestProcess(bpmnProcessId, tenantId)?.version ?? 0;
    return Math.max(latestVersion, this.highestVersion.get(tenantId, bpmnProcessId) ?? 0);
  }

  getProcessByDeployment(bpmnProcessId: string, deploymentKey: bigint, tenantId: string): ProcessRecordValue | undefined {
    // Deployment keys grow with versions, so the scan from the newest version stops at the first older deployment.
    let found: ProcessRecordValue | undefined;
    this.forEachVersionNewestFirst(bpmnProcessId, tenantId, (process) => {
      if (process.deploymentKey === deploymentKey) found = process;
      return process.deploymentKey > deploymentKey;
    });
    return found;
  }

  getLatestProcessWithVersionTag(bpmnProcessId: string, versionTag: string, tenantId: string): ProcessRecordValue | undefined {
    let found: ProcessRecordValue | undefined;
    this.forEachVersionNewestFirst(bpmnProcessId, tenantId, (process) => {
      if (process.versionTag === versionTag) found = process;
      return found === undefined;
    });
    return found;
  }

  forEachLatestProcess(visitor: (process: ProcessRecordValue) => void): void {
    this.latest.forEachWithPrefix([], (processDefinitionKey) => {
      const process = this.getProcessByKey(processDefinitionKey);
      if (process) visitor(process);
    });
  }

  /** Visits the versions that are not deleted, newest first, while the visitor returns true. */
  private forEachVersionNewestFirst(bpmnProcessId: string, tenantId: string, visitor: (process: ProcessRecordValue) => boolean): void {
    for (let version = this.getHighestVersion(bpmnProcessId, tenantId); version >= 1; version -= 1) {
      const process = this.getProcessByVersion(bpmnProcessId, version, tenantId);
      if (process && !visitor(process)) return;
    }
  }

  /** Hides a process from lookups by id and version; the previous remaining version becomes the latest. */
  deleteProcess(processDefinitionKey: bigint): void {
    const process = this.getProcessByKey(processDefinitionKey);
    if (!process || this.isProcessDeleted(processDefinitionKey)) return;
    const { bpmnProcessId, tenantId, version } = process;
    this.highestVersion.put([tenantId, bpmnProcessId], this.getHighestVersion(bpmnProcessId, tenantId));
    this.deleted.put([processDefinitionKey], true);
    this.byVersion.delete(tenantId, bpmnProcessId, version);
    if (this.latest.get(tenantId, bpmnProcessId) !== processDefinitionKey) return;
    this.latest.delete(tenantId, bpmnProcessId);
    for (let previous = version - 1; previous >= 1; previous -= 1) {
      const key = this.byVersion.get(tenantId, bpmnProcessId, previous);
      if (key === undefined) continue;
      this.latest.put([tenantId, bpmnProcessId], key);
      return;
    }
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
