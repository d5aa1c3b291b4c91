import { parseResource } from '../../../bpmn/index.js';
import type { DeploymentRecordValue, ProcessRecordValue, Record } from '../../../protocol/index.js';
import { closeStartEventSubscriptions, hasMessageStartSubscription, messageStartSubscriptionsOf, openStartEventSubscriptions } from '../../behaviors/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * DEPLOYMENT DISTRIBUTE: a deployment made on the deployment partition, received by another partition. Its processes
 * are stored with the keys and versions the deployment partition gave them, so a key means the same process on
 * every partition; the message start events of the latest version are opened here too. A repeated delivery changes
 * nothing, except that it opens the message start events of a known latest version that has none here: builds older
 * than message start events on every partition left them out, and a partition sends itself this command after a
 * restart to make up for it (see findMissingMessageStartSubscriptions).
 */
export class DeploymentDistributeProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const deployment = command.value as unknown as DeploymentRecordValue;
    const resources = new Map(deployment.resources.map((resource) => [resource.resourceName, resource.resource]));
    for (const metadata of deployment.processesMetadata) {
      if (metadata.duplicate) continue;
      const known = context.state.processes.getProcessByKey(metadata.processDefinitionKey);
      if (known) {
        openMissingMessageStartSubscriptions(known, command.timestamp, context);
        continue;
      }
      const resource = resources.get(metadata.resourceName);
      const process = resource ? parseResource(resource, metadata.resourceName).processes.find((candidate) => candidate.id === metadata.bpmnProcessId) : undefined;
      if (!resource || !process) {
        throw new Error(`Expected the distributed deployment ${command.key} to carry process '${metadata.bpmnProcessId}' in '${metadata.resourceName}'`);
      }
      const stored: ProcessRecordValue = {
        bpmnProcessId: metadata.bpmnProcessId,
        version: metadata.version,
        processDefinitionKey: metadata.processDefinitionKey,
        resourceName: metadata.resourceName,
        checksum: metadata.checksum,
        resource,
        tenantId: metadata.tenantId,
        deploymentKey: metadata.deploymentKey,
        versionTag: metadata.versionTag,
      };
      const previous = context.state.processes.getLatestProcess(stored.bpmnProcessId, stored.tenantId);
      context.processes.put(stored.processDefinitionKey, process);
      context.writers.appendEvent(stored.processDefinitionKey, 'PROCESS', 'CREATED', stored);
      // Messages are published on the partition of their correlation key, so every partition has the message
      // start events of the latest version (timers and signals start instances on the deployment partition).
      if (previous && previous.version > stored.version) continue;
      if (previous) closeStartEventSubscriptions(previous.processDefinitionKey, context);
      openStartEventSubscriptions(process, stored, command.timestamp, context, { messagesOnly: true });
    }
    context.writers.appendEvent(command.key, 'DEPLOYMENT', 'DISTRIBUTED', deployment);
  }
}

/** Opens the message start events of a latest version that has none on this partition (left out by older builds). */
function openMissingMessageStartSubscriptions(known: ProcessRecordValue, nowMs: number, context: ProcessingContext): void {
  const processes = context.state.processes;
  if (processes.isProcessDeleted(known.processDefinitionKey)) return;
  if (processes.getLatestProcess(known.bpmnProcessId, known.tenantId)?.processDefinitionKey !== known.processDefinitionKey) return;
  if (hasMessageStartSubscription(context.state.subscriptions, known.processDefinitionKey)) return;
  const process = context.processes.get(known.processDefinitionKey);
  if (messageStartSubscriptionsOf(process, known).length === 0) return;
  openStartEventSubscriptions(process, known, nowMs, context, { messagesOnly: true });
}
