import type { IncidentRecordValue, ProcessRecordValue, Record, VariableRecordValue } from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';

type Applier = (record: Record) => void;
const nothing: Applier = () => {};

export function deploymentAppliers(state: EngineState): [string, Applier][] {
  return [
    ['PROCESS.CREATED', (record) => state.processes.putProcess(record.value as unknown as ProcessRecordValue)],
    ['DEPLOYMENT.CREATED', nothing],
    ['DEPLOYMENT.DISTRIBUTED', nothing],
    ['PROCESS.DELETING', nothing],
    ['PROCESS.DELETED', (record) => state.processes.deleteProcess((record.value as unknown as ProcessRecordValue).processDefinitionKey)],
    ['RESOURCE_DELETION.DELETING', nothing],
    ['RESOURCE_DELETION.DELETED', nothing],
  ];
}

export function variableAppliers(state: EngineState): [string, Applier][] {
  const set: Applier = (record) => {
    const value = record.value as unknown as VariableRecordValue;
    state.variables.setVariable(value.scopeKey, value.name, { key: record.key, value: value.value });
  };
  return [
    ['VARIABLE.CREATED', set],
    ['VARIABLE.UPDATED', set],
    ['VARIABLE_DOCUMENT.UPDATED', nothing],
  ];
}

/**
 * INCIDENT events. A job with an incident is not activatable; resolving the incident makes it activatable again (its
 * retries were checked).
 */
export function incidentAppliers(state: EngineState): [string, Applier][] {
  return [
    ['INCIDENT.CREATED', (record) => {
      const incident = record.value as unknown as IncidentRecordValue;
      state.incidents.createIncident(record.key, incident);
      // A job incident raised on an activatable job (one too large to activate) takes it out of activation.
      const job = incident.jobKey >= 0n ? state.jobs.getJob(incident.jobKey) : undefined;
      if (job && job.state === 'ACTIVATABLE') state.jobs.putJob(incident.jobKey, 'FAILED', { ...job.value, recurringTime: -1 });
    }],
    ['INCIDENT.RESOLVED', (record) => {
      const incident = record.value as unknown as IncidentRecordValue;
      state.incidents.deleteIncident(record.key);
      const job = incident.jobKey >= 0n ? state.jobs.getJob(incident.jobKey) : undefined;
      if (job && (job.state === 'FAILED' || job.state === 'ERROR_THROWN')) {
        state.jobs.putJob(incident.jobKey, 'ACTIVATABLE', { ...job.value, recurringTime: -1 });
      }
    }],
    ['ERROR.CREATED', nothing],
  ];
}
