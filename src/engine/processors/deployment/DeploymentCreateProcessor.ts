import { createHash } from 'node:crypto';
import {
  EMPTY_OUTLINE,
  evaluateString,
  isProcessResourceName,
  isYamlResourceName,
  parseResource,
  type ExecutableProcess,
  type Problem,
  type ProcessOutline,
} from '../../../bpmn/index.js';
import { closeStartEventSubscriptions, openStartEventSubscriptions, scheduleTimer } from '../../behaviors/index.js';
import type {
  DeploymentRecordValue,
  DeploymentResource,
  ProcessMetadataValue,
  ProcessRecordValue,
  Record,
} from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { unknownCalledProcesses } from './called-process-check.js';

interface ParsedResource {
  resource: DeploymentResource;
  processes: ExecutableProcess[];
  problems: Problem[];
  outline: ProcessOutline;
  /** Not a BPMN or YAML resource. */
  unsupported: boolean;
}

/**
 * DEPLOYMENT CREATE: parses and validates every resource, reports every problem at once, and gives its processes
 * new versions (an identical redeploy of them all keeps their versions and keys, marked duplicate). A call activity
 * whose static called process is neither in the deployment nor deployed is one of the problems, unless the broker
 * accepts such calls (allowUnknownCalledProcess), as Zeebe does, and leaves them to an incident at run time.
 */
export class DeploymentCreateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const deployment = command.value as unknown as DeploymentRecordValue;
    const tenantId = deployment.tenantId || '<default>';
    if (!deployment.resources || deployment.resources.length === 0) {
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', 'Expected to deploy at least one resource, but none given');
      return;
    }
    const parsed = deployment.resources.map((resource) => parseDeployedResource(resource));
    const outlines = parsed.map((entry) => entry.outline);
    const errors = parsed.flatMap((entry) => {
      const calls = context.allowUnknownCalledProcess === true ? [] : unknownCalledProcesses(entry.outline.calls, outlines, context.state.processes, tenantId);
      return resourceErrors(entry, calls);
    });
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
    // As in Zeebe, the processes of a deployment are versioned together: unless every one of them is a duplicate
    // of its latest version, every one gets a new version, so a call activity bound to its deployment finds them.
    const duplicatesOnly = parsed.every((entry) => entry.processes.every((process) => isDuplicateOfLatest(entry.resource, process, tenantId, context)));
    const processesMetadata = parsed.flatMap((entry) =>
      entry.processes.map((process) => this.deployProcess(entry.resource, process, tenantId, deploymentKey, context, deployed, duplicatesOnly)),
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
    for (const entry of deployed) replaceStartEventSubscriptions(entry, command.timestamp, context);
    // Every partition runs instances, so every partition gets the processes, with the same keys and versions.
    for (const partitionId of context.behaviors.commands.otherPartitionIds()) {
      context.behaviors.commands.send(partitionId, 'DEPLOYMENT', 'DISTRIBUTE', deploymentKey, created);
    }
  }

  private deployProcess(
    resource: DeploymentResource,
    process: ExecutableProcess,
    tenantId: string,
    deploymentKey: bigint,
    context: ProcessingContext,
    deployed: { process: ExecutableProcess; stored: ProcessRecordValue; previous?: ProcessRecordValue }[],
    duplicatesOnly: boolean,
  ): ProcessMetadataValue {
    const checksum = checksumOf(resource);
    const latest = context.state.processes.getLatestProcess(process.id, tenantId);
    if (latest && duplicatesOnly) return metadataOf(latest, true);
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

function parseDeployedResource(resource: DeploymentResource): ParsedResource {
  if (!isProcessResourceName(resource.resourceName)) return { resource, processes: [], problems: [], outline: EMPTY_OUTLINE, unsupported: true };
  const result = parseResource(resource.resource, resource.resourceName);
  return { resource, processes: result.processes, problems: result.problems, outline: result.outline, unsupported: false };
}

/** A resource's problems, those of its calls among them in document order, in one block naming the resource. */
function resourceErrors(entry: ParsedResource, callProblems: readonly Problem[]): string[] {
  const name = entry.resource.resourceName;
  if (entry.unsupported) {
    return [`'${name}': resource type is not supported; expected a BPMN file ending in .bpmn or .xml, or a YAML definition ending in .yaml or .yml`];
  }
  if (entry.problems.length + callProblems.length === 0) return [];
  const unknown = Number.MAX_SAFE_INTEGER;
  const problems = [...entry.problems, ...callProblems].sort((a, b) => (a.line ?? unknown) - (b.line ?? unknown) || (a.column ?? 0) - (b.column ?? 0));
  // A YAML author finds a problem by its line; BPMN authors by the element, as in Zeebe's messages.
  const yamlLine = (line?: number) => (isYamlResourceName(name) && line ? ` (line ${line})` : '');
  const lines = problems.map((problem) => {
    const where = problem.elementId ? `Element: ${problem.elementId}${yamlLine(problem.line)}` : problem.line ? `Line ${problem.line}, column ${problem.column}` : 'Definitions';
    return `- ${where}\n    - ERROR: ${problem.message}`;
  });
  return [`'${name}':\n${lines.join('\n')}`];
}

function checksumOf(resource: DeploymentResource): string {
  return createHash('md5').update(resource.resource).digest('hex');
}

/** An identical redeploy: the same resource, unchanged, as the latest version of the process. */
function isDuplicateOfLatest(resource: DeploymentResource, process: ExecutableProcess, tenantId: string, context: ProcessingContext): boolean {
  const latest = context.state.processes.getLatestProcess(process.id, tenantId);
  return latest !== undefined && latest.checksum === checksumOf(resource) && latest.resourceName === resource.resourceName;
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

/** A new version replaces the start event subscriptions of the previous one. */
function replaceStartEventSubscriptions(
  entry: { process: ExecutableProcess; stored: ProcessRecordValue; previous?: ProcessRecordValue },
  nowMs: number,
  context: ProcessingContext,
): void {
  if (entry.previous) closeStartEventSubscriptions(entry.previous.processDefinitionKey, context);
  openStartEventSubscriptions(entry.process, entry.stored, nowMs, context);
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
