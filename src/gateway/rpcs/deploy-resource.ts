import { NO_KEY, type DeploymentRecordValue, type DeploymentResource, type ProcessMetadataValue } from '../../protocol/index.js';
import { asRecordValue, executeCommand, int64Text, valueOf, type GatewayContext } from '../gateway-context.js';
import { invalidArgument } from '../grpc-errors.js';
import type {
  DeploymentMessage,
  DeployProcessRequest,
  DeployProcessResponse,
  DeployResourceRequest,
  DeployResourceResponse,
  ProcessMetadataMessage,
} from '../messages.js';
import { tenantIdOrDefault } from '../request-fields.js';

/**
 * Deployments are written on the deployment partition, which distributes them to the others (as in Zeebe, where
 * partition 1 plays this role).
 */
export const DEPLOYMENT_PARTITION_ID = 1;

/** DeployResource -> DEPLOYMENT CREATE; answered from DEPLOYMENT CREATED. */
export async function deployResource(context: GatewayContext, request: DeployResourceRequest): Promise<DeployResourceResponse> {
  const resources = request.resources.map((resource) => ({ resourceName: resource.name, resource: resource.content }));
  const { deployment, deploymentKey } = await deploy(context, resources, tenantIdOrDefault(request.tenantId));
  return { key: int64Text(deploymentKey), deployments: deploymentsOf(deployment), tenantId: deployment.tenantId };
}

/** DeployProcess, deprecated since Zeebe 8 but still sent by old clients: the same command, a narrower answer. */
export async function deployProcess(context: GatewayContext, request: DeployProcessRequest): Promise<DeployProcessResponse> {
  const resources = request.processes.map((process) => ({ resourceName: process.name, resource: process.definition }));
  const { deployment, deploymentKey } = await deploy(context, resources, tenantIdOrDefault(''));
  return { key: int64Text(deploymentKey), processes: (deployment.processesMetadata ?? []).map(processMetadata) };
}

interface DeploymentOutcome {
  deployment: DeploymentRecordValue;
  deploymentKey: bigint;
}

async function deploy(context: GatewayContext, resources: DeploymentResource[], tenantId: string): Promise<DeploymentOutcome> {
  if (resources.length === 0) throw invalidArgument("Expected to deploy at least one resource, but 'resources' is empty", { field: 'resources' });
  const value: DeploymentRecordValue = {
    resources,
    processesMetadata: [],
    decisionsMetadata: [],
    decisionRequirementsMetadata: [],
    formMetadata: [],
    tenantId,
    deploymentKey: NO_KEY,
  };
  const record = await executeCommand(context, DEPLOYMENT_PARTITION_ID, {
    valueType: 'DEPLOYMENT',
    intent: 'CREATE',
    key: NO_KEY,
    value: asRecordValue(value),
  });
  const deployment = valueOf<DeploymentRecordValue>(record);
  // The value carries the deployment key; it is also the key of the CREATED record, the fallback.
  const deploymentKey = typeof deployment.deploymentKey === 'bigint' && deployment.deploymentKey > 0n ? deployment.deploymentKey : record.key;
  return { deployment, deploymentKey };
}

function processMetadata(process: ProcessMetadataValue): ProcessMetadataMessage {
  return {
    bpmnProcessId: process.bpmnProcessId,
    version: process.version,
    processDefinitionKey: int64Text(process.processDefinitionKey),
    resourceName: process.resourceName,
    tenantId: process.tenantId,
  };
}

/** Decision, decision requirements and form metadata use Zeebe's exported field names, for when the engine writes them. */
type Metadata = { [field: string]: any };

function deploymentsOf(deployment: DeploymentRecordValue): DeploymentMessage[] {
  const deployments: DeploymentMessage[] = (deployment.processesMetadata ?? []).map((process) => ({ process: processMetadata(process) }));
  for (const decision of (deployment.decisionsMetadata ?? []) as Metadata[]) {
    deployments.push({
      decision: {
        dmnDecisionId: decision.decisionId,
        dmnDecisionName: decision.decisionName,
        version: decision.version,
        decisionKey: int64Text(decision.decisionKey),
        dmnDecisionRequirementsId: decision.decisionRequirementsId,
        decisionRequirementsKey: int64Text(decision.decisionRequirementsKey),
        tenantId: decision.tenantId,
      },
    });
  }
  for (const requirements of (deployment.decisionRequirementsMetadata ?? []) as Metadata[]) {
    deployments.push({
      decisionRequirements: {
        dmnDecisionRequirementsId: requirements.decisionRequirementsId,
        dmnDecisionRequirementsName: requirements.decisionRequirementsName,
        version: requirements.version,
        decisionRequirementsKey: int64Text(requirements.decisionRequirementsKey),
        resourceName: requirements.resourceName,
        tenantId: requirements.tenantId,
      },
    });
  }
  for (const form of (deployment.formMetadata ?? []) as Metadata[]) {
    deployments.push({
      form: {
        formId: form.formId,
        version: form.version,
        formKey: int64Text(form.formKey),
        resourceName: form.resourceName,
        tenantId: form.tenantId,
      },
    });
  }
  return deployments;
}
