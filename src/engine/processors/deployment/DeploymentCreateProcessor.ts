import { createHash } from 'node:crypto';
import { evaluateString, parseBpmn, type ExecutableProcess } from '../../../bpmn/index.js';
import { scheduleTimer } from '../../behaviors/index.js';
import type {
  DeploymentRecordValue,
  DeploymentResource,
  MessageStartEventSubscriptionRecordValue,
  ProcessMetadataValue,
  ProcessRecordValue,
  Record,
} from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

interface ParsedResource {
  resource: DeploymentResource;
  processes: ExecutableProcess[];
}

/**
 * DEPLOYMENT CREATE: parses and validates every resource, reports every problem at once, and gives each changed
 * process a new version (an identical redeploy keeps its version and key, marked duplicate).
 */
export class DeploymentCreateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const deployment = command.value as unknown as DeploymentRecordValue;
    const tenantId = deployment.tenantId || '<default>';
    if (!deployment.resources || deployment.resources.length === 0) {
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', 'Expected to deploy at least one resource, but none given');
      return;
    }
    const errors: string[] = [];
    const parsed = deployment.resources.map((resource) => this.parseResource(resource, errors));
    const duplicateIds = findDuplicateProcessIds(parsed);
    for (const [id, names] of duplicateIds) {
      errors.push(`Duplicated process id in resources '${names.join("' and '")}': '${id}'`);
    }
    if (errors.length > 0) {
      const reason = `Expected to deploy new resources, but encountered the following errors:\n${errors.join('\n')}`;
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
      return;
    }
    const timerProblems = parsed.flatMap((entry) => entry.processes.flatMap((process) => startTimerProblems(entry.resource, process, command.timestamp)));
    if (timerProblems.length > 0) {
      const reason = `Expected to deploy new resources, but encountered the following errors:\n${timerProblems.join('\n')}`;
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
      return;
    }
    const deploymentKey = context.state.keys.nextKey();
    const deployed: { process: ExecutableProcess; stored: ProcessRecordValue; previous?: ProcessRecordValue }[] = [];
    const processesMetadata = parsed.flatMap((entry) =>
      entry.processes.map((process) => this.deployProcess(entry.resource, process, tenantId, deploymentKey, context, deployed)),
    );
    const created: DeploymentRecordValue = {
      resources: deployment.resources,
      processesMetadata,
      decisionsMetadata: [],
      decisionRequirementsMetadata: [],
      formMetadata: [],
      tenantId,
      deploymentKey,
    };
    const event = context.writers.appendEvent(deploymentKey, 'DEPLOYMENT', 'CREATED', created);
    context.writers.respond(command, event);
    for (const entry of deployed) openStartEventSubscriptions(entry, command.timestamp, context);
    // Every partition runs instances, so every partition gets the processes, with the same keys and versions.
    for (const partitionId of context.behaviors.commands.otherPartitionIds()) {
      context.behaviors.commands.send(partitionId, 'DEPLOYMENT', 'DISTRIBUTE', deploymentKey, created);
    }
  }

  private parseResource(resource: DeploymentResource, errors: string[]): ParsedResource {
    const name = resource.resourceName;
    if (!/\.(bpmn|xml)$/i.test(name)) {
      errors.push(`'${name}': resource type is not supported; expected a BPMN file ending in .bpmn or .xml`);
      return { resource, processes: [] };
    }
    const result = parseBpmn(resource.resource, name);
    if (result.problems.length > 0) {
      const lines = result.problems.map((problem) => {
        const where = problem.elementId ? `Element: ${problem.elementId}` : problem.line ? `Line ${problem.line}, column ${problem.column}` : 'Definitions';
        return `- ${where}\n    - ERROR: ${problem.message}`;
      });
      errors.push(`'${name}':\n${lines.join('\n')}`);
    }
    return { resource, processes: result.processes };
  }

  private deployProcess(
    resource: DeploymentResource,
    process: ExecutableProcess,
    tenantId: string,
    deploymentKey: bigint,
    context: ProcessingContext,
    deployed: { process: ExecutableProcess; stored: ProcessRecordValue; previous?: ProcessRecordValue }[],
  ): ProcessMetadataValue {
    const checksum = createHash('md5').update(resource.resource).digest('hex');
    const latest = context.state.processes.getLatestProcess(process.id, tenantId);
    if (latest && latest.checksum === checksum && latest.resourceName === resource.resourceName) {
      return metadataOf(latest, true);
    }
    const stored: ProcessRecordValue = {
      bpmnProcessId: process.id,
      version: context.state.processes.getHighestVersion(process.id, tenantId) + 1,
      processDefinitionKey: context.state.keys.nextKey(),
      resourceName: resource.resourceName,
      checksum,
      resource: resource.resource,
      tenantId,
      deploymentKey,
      versionTag: process.versionTag ?? '',
    };
    context.processes.put(stored.processDefinitionKey, process);
    context.writers.appendEvent(stored.processDefinitionKey, 'PROCESS', 'CREATED', stored);
    deployed.push({ process, stored, previous: latest });
    return metadataOf(stored, false);
  }
}

function metadataOf(process: ProcessRecordValue, duplicate: boolean): ProcessMetadataValue {
  return {
    bpmnProcessId: process.bpmnProcessId,
    version: process.version,
    processDefinitionKey: process.processDefinitionKey,
    resourceName: process.resourceName,
    checksum: process.checksum,
    duplicate,
    tenantId: process.tenantId,
    deploymentKey: process.deploymentKey,
    versionTag: process.versionTag,
  };
}

function findDuplicateProcessIds(parsed: ParsedResource[]): Map<string, string[]> {
  const resourcesById = new Map<string, string[]>();
  for (const entry of parsed) {
    for (const process of entry.processes) {
      resourcesById.set(process.id, [...(resourcesById.get(process.id) ?? []), entry.resource.resourceName]);
    }
  }
  return new Map([...resourcesById].filter(([, names]) => names.length > 1));
}

/**
 * A new version replaces the start event subscriptions of the previous one: its timers are cancelled and its
 * message start events closed; the new version's timer and message start events are opened.
 */
function openStartEventSubscriptions(
  entry: { process: ExecutableProcess; stored: ProcessRecordValue; previous?: ProcessRecordValue },
  nowMs: number,
  context: ProcessingContext,
): void {
  const { state, writers, behaviors } = context;
  const { process, stored, previous } = entry;
  if (previous) {
    state.timers.forEachStartTimerOfProcess(previous.processDefinitionKey, (timer) => writers.appendEvent(timer.key, 'TIMER', 'CANCELED', timer.value));
    state.subscriptions.forEachMessageStartSubscriptionOfProcess(previous.processDefinitionKey, (subscription) => {
      writers.appendEvent(previous.processDefinitionKey, 'MESSAGE_START_EVENT_SUBSCRIPTION', 'DELETED', subscription);
    });
    state.signalSubscriptions.forEachStartSubscriptionOfProcess(previous.processDefinitionKey, (subscription) => {
      writers.appendEvent(subscription.key, 'SIGNAL_SUBSCRIPTION', 'DELETED', subscription.value);
    });
  }
  for (const start of process.eventStartEvents) {
    if (start.timer) {
      const schedule = scheduleTimer(start.timer, () => undefined, nowMs);
      if (schedule.ok) behaviors.eventSubscriptions.createTimer(-1n, { ...stored, processInstanceKey: -1n }, start.id, schedule.value);
    }
    if (start.signal) {
      const signalName = evaluateString(start.signal.name, () => undefined);
      if (signalName.ok) behaviors.eventSubscriptions.openSignalSubscription(-1n, stored, start.id, signalName.value);
    }
    if (start.message) {
      const name = evaluateString(start.message.name, () => undefined);
      if (!name.ok) continue;
      const subscription: MessageStartEventSubscriptionRecordValue = {
        processDefinitionKey: stored.processDefinitionKey,
        bpmnProcessId: stored.bpmnProcessId,
        startEventId: start.id,
        messageName: name.value,
        messageKey: -1n,
        correlationKey: '',
        variables: {},
        processInstanceKey: -1n,
        tenantId: stored.tenantId,
      };
      writers.appendEvent(stored.processDefinitionKey, 'MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED', subscription);
    }
  }
}

/** Timer start events and message start event names are evaluated at deploy time, without variables. */
function startTimerProblems(resource: DeploymentResource, process: ExecutableProcess, nowMs: number): string[] {
  const problems: string[] = [];
  for (const start of process.eventStartEvents) {
    const result = start.timer
      ? scheduleTimer(start.timer, () => undefined, nowMs)
      : start.message
        ? evaluateString(start.message.name, () => undefined)
        : undefined;
    if (result && !result.ok) problems.push(`'${resource.resourceName}':\n- Element: ${start.id}\n    - ERROR: ${result.message}`);
  }
  return problems;
}
