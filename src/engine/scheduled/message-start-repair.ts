import type { DeploymentRecordValue, ProcessRecordValue, RecordValue } from '../../protocol/index.js';
import type { ReadonlyEngineState } from '../../state/domain/index.js';
import { hasMessageStartSubscription, messageStartSubscriptionsOf } from '../behaviors/start-event-subscriptions.js';
import type { ProcessCache } from '../process-cache.js';

export interface RepairCommand {
  valueType: 'DEPLOYMENT';
  intent: 'DISTRIBUTE';
  key: bigint;
  value: RecordValue;
}

/**
 * A BPMN start event with a message event definition inside it (YAML flows have no message start events). It may
 * also match a message definition after a self-closing start event; the parse that follows decides, so only a miss
 * would matter, and a start event holding the definition always matches.
 */
const MESSAGE_START_EVENT = /<(?:[\w-]+:)?startEvent\b(?:(?!<\/(?:[\w-]+:)?startEvent>)[\s\S])*?<(?:[\w-]+:)?messageEventDefinition\b/;

/**
 * Builds before message start events opened on every partition distributed a deployment without them, so a partition
 * restarted on such data has processes whose latest version has message start events but no subscription here: a
 * message published here would start nothing until the process is redeployed. The partition writes the commands this
 * returns once it leads (after recovery); DEPLOYMENT DISTRIBUTE of a known latest version opens what is missing, and
 * checks again against its own state, so a duplicate command (a second leader, a second restart) changes nothing.
 * On data written by a current build it returns nothing: every latest version has its subscriptions.
 */
export function findMissingMessageStartSubscriptions(state: ReadonlyEngineState, processes: ProcessCache): RepairCommand[] {
  const commands: RepairCommand[] = [];
  state.processes.forEachLatestProcess((stored) => {
    if (hasMessageStartSubscription(state.subscriptions, stored.processDefinitionKey)) return;
    // Parsing every process at each election would be slow: only a resource with a message start event is parsed.
    if (!MESSAGE_START_EVENT.test(Buffer.from(stored.resource).toString('utf8'))) return;
    if (messageStartSubscriptionsOf(processes.get(stored.processDefinitionKey), stored).length === 0) return;
    commands.push({ valueType: 'DEPLOYMENT', intent: 'DISTRIBUTE', key: stored.deploymentKey, value: repairDeployment(stored) as unknown as RecordValue });
  });
  return commands;
}

/** A distribution of the one known process: it carries no resource, since the partition has the process already. */
function repairDeployment(stored: ProcessRecordValue): DeploymentRecordValue {
  const { bpmnProcessId, version, processDefinitionKey, resourceName, checksum, tenantId, deploymentKey, versionTag } = stored;
  return {
    resources: [],
    processesMetadata: [{ bpmnProcessId, version, processDefinitionKey, resourceName, checksum, tenantId, deploymentKey, versionTag, duplicate: false }],
    decisionsMetadata: [],
    decisionRequirementsMetadata: [],
    formMetadata: [],
    tenantId,
    deploymentKey,
  };
}
