import { incidentCommandValue } from '../command-values.js';
import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import type { EmptyResponse, ResolveIncidentRequest } from '../messages.js';
import { partitionOfKey, requiredKey } from '../request-fields.js';

/** ResolveIncident -> INCIDENT RESOLVE keyed by the incident, on its partition. */
export async function resolveIncident(context: GatewayContext, request: ResolveIncidentRequest): Promise<EmptyResponse> {
  const incidentKey = requiredKey(request.incidentKey, 'incidentKey');
  const partitionId = partitionOfKey(context.broker, incidentKey, 'incidentKey');
  await executeCommand(context, partitionId, {
    valueType: 'INCIDENT',
    intent: 'RESOLVE',
    key: incidentKey,
    value: asRecordValue(incidentCommandValue()),
  });
  return {};
}
