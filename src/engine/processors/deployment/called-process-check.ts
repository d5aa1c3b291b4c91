import type { Problem, ProcessOutline, StaticProcessCall } from '../../../bpmn/index.js';
import type { ReadonlyProcessState } from '../../../state/domain/index.js';

/** Why a call activity's static called process cannot be found, naming the process and how it is bound. */
export const calledProcessMessages = {
  latest: (processId: string) =>
    `Expected the called process '${processId}' to be deployed already or in the same deployment, but it is neither. ` +
    'Deploy it first or together with this process (or use a FEEL expression for the processId)',
  deployment: (processId: string) =>
    `Expected the called process '${processId}' to be in the same deployment, since its bindingType is 'deployment', but it is not`,
  versionTag: (processId: string, versionTag: string) =>
    `Expected a process '${processId}' with version tag '${versionTag}' to be deployed already or in the same deployment, ` +
    'but there is none',
};

/**
 * The call activities of one resource whose static called process is neither in the deployment nor deployed
 * already, as problems. Deployments are all created on the deployment partition, whose state holds every process
 * deployed so far, so the check sees what any partition will find when the call activity runs.
 */
export function unknownCalledProcesses(
  calls: readonly StaticProcessCall[],
  deployment: readonly ProcessOutline[],
  processes: ReadonlyProcessState,
  tenantId: string,
): Problem[] {
  const inDeployment = deployment.flatMap((outline) => outline.processes);
  const problems: Problem[] = [];
  for (const call of calls) {
    const message = unknownCallMessage(call, inDeployment, processes, tenantId);
    if (message !== undefined) problems.push({ elementId: call.elementId, message, line: call.line, column: call.column });
  }
  return problems;
}

function unknownCallMessage(
  call: StaticProcessCall,
  inDeployment: readonly { id: string; versionTag?: string }[],
  processes: ReadonlyProcessState,
  tenantId: string,
): string | undefined {
  const id = call.calledProcessId;
  const declared = inDeployment.filter((process) => process.id === id);
  if (call.bindingType === 'deployment') {
    return declared.length > 0 ? undefined : calledProcessMessages.deployment(id);
  }
  if (call.bindingType === 'versionTag') {
    const versionTag = call.versionTag ?? '';
    const found = declared.some((process) => process.versionTag === versionTag) || processes.getLatestProcessWithVersionTag(id, versionTag, tenantId) !== undefined;
    return found ? undefined : calledProcessMessages.versionTag(id, versionTag);
  }
  return declared.length > 0 || processes.getLatestProcess(id, tenantId) !== undefined ? undefined : calledProcessMessages.latest(id);
}
