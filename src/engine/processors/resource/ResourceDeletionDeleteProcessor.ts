import type { ProcessRecordValue, Record } from '../../../protocol/index.js';
import { closeStartEventSubscriptions, openStartEventSubscriptions } from '../../behaviors/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** Zeebe's RESOURCE_DELETION record value. */
export interface ResourceDeletionRecordValue {
  resourceKey: bigint;
  tenantId: string;
}

/** The partition that takes deployments (and their deletion) and distributes them to the others. */
const DEPLOYMENT_PARTITION_ID = 1;

/**
 * RESOURCE_DELETION DELETE for a process definition key: writes PROCESS DELETING and DELETED. As in Zeebe, the
 * running instances of the process keep running; no new instance starts from it, and the previous version (if
 * any) becomes the latest: when the latest version is deleted, its start events close and the previous version's
 * open again. The deployment partition answers the request and passes the deletion on to the others.
 */
export class ResourceDeletionDeleteProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as ResourceDeletionRecordValue;
    const processes = context.state.processes;
    const process = processes.getProcessByKey(value.resourceKey);
    if (!process || processes.isProcessDeleted(value.resourceKey) || process.tenantId !== value.tenantId) {
      const reason = `Expected to delete resource but no resource found with key \`${value.resourceKey}\``;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    const key = command.key >= 0n ? command.key : context.state.keys.nextKey();
    const wasLatest = processes.getLatestProcess(process.bpmnProcessId, process.tenantId)?.processDefinitionKey === process.processDefinitionKey;
    context.writers.appendEvent(key, 'RESOURCE_DELETION', 'DELETING', value);
    context.writers.appendEvent<ProcessRecordValue>(process.processDefinitionKey, 'PROCESS', 'DELETING', process);
    if (wasLatest) closeStartEventSubscriptions(process.processDefinitionKey, context);
    context.writers.appendEvent<ProcessRecordValue>(process.processDefinitionKey, 'PROCESS', 'DELETED', process);
    if (wasLatest) this.reopenStartEventsOfLatest(process, command.timestamp, context);
    const deleted = context.writers.appendEvent(key, 'RESOURCE_DELETION', 'DELETED', value);
    context.writers.respond(command, deleted);
    if (context.partitionId !== DEPLOYMENT_PARTITION_ID) return;
    for (const partitionId of context.behaviors.commands.otherPartitionIds()) {
      context.behaviors.commands.send(partitionId, 'RESOURCE_DELETION', 'DELETE', key, value);
    }
  }

  /**
   * The version that is the latest again gets its start events back where deployments open them: all of them on
   * the deployment partition, its message start events on the others.
   */
  private reopenStartEventsOfLatest(deleted: ProcessRecordValue, nowMs: number, context: ProcessingContext): void {
    const latest = context.state.processes.getLatestProcess(deleted.bpmnProcessId, deleted.tenantId);
    if (!latest) return;
    const messagesOnly = context.partitionId !== DEPLOYMENT_PARTITION_ID;
    openStartEventSubscriptions(context.processes.get(latest.processDefinitionKey), latest, nowMs, context, { messagesOnly });
  }
}
