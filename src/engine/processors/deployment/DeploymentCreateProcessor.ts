import { createHash } from 'node:crypto';
import { parseBpmn, type ExecutableProcess } from '../../../bpmn/index.js';
import type {
  DeploymentRecordValue,
  DeploymentResource,
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
    const deploymentKey = context.state.keys.nextKey();
    const processesMetadata = parsed.flatMap((entry) =>
      entry.processes.map((process) => this.deployProcess(entry.resource, process, tenantId, deploymentKey, context)),
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
  ): ProcessMetadataValue {
    const checksum = createHash('md5').update(resource.resource).digest('hex');
    const latest = context.state.processes.getLatestProcess(process.id, tenantId);
    if (latest && latest.checksum === checksum && latest.resourceName === resource.resourceName) {
      return metadataOf(latest, true);
    }
    const stored: ProcessRecordValue = {
      bpmnProcessId: process.id,
      version: (latest?.version ?? 0) + 1,
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
