import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import type { Int64 } from '../messages.js';
import { requiredKey, tenantIdOrDefault } from '../request-fields.js';
import { DEPLOYMENT_PARTITION_ID } from './deploy-resource.js';

export interface DeleteResourceRequest {
  resourceKey: Int64;
  operationReference?: Int64;
}

export type DeleteResourceResponse = Record<string, never>;

/**
 * DeleteResource -> RESOURCE_DELETION DELETE on the deployment partition, which passes it on to the others. Only
 * process definitions are resources today; an unknown key is rejected with NOT_FOUND.
 */
export async function deleteResource(context: GatewayContext, request: DeleteResourceRequest): Promise<DeleteResourceResponse> {
  const resourceKey = requiredKey(request.resourceKey, 'resourceKey');
  await executeCommand(context, DEPLOYMENT_PARTITION_ID, {
    valueType: 'RESOURCE_DELETION',
    intent: 'DELETE',
    key: -1n,
    value: asRecordValue({ resourceKey, tenantId: tenantIdOrDefault('') }),
  });
  return {};
}
