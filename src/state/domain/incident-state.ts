import type { IncidentRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export interface ReadonlyIncidentState {
  getIncident(incidentKey: bigint): IncidentRecordValue | undefined;
  getIncidentKeyOfJob(jobKey: bigint): bigint | undefined;
  getIncidentKeyOfElement(elementInstanceKey: bigint): bigint | undefined;
}

/** Open incidents, findable by their job and by their element instance. */
export class IncidentState implements ReadonlyIncidentState {
  private readonly incidents: Column<[bigint], any>;
  private readonly byJob: Column<[bigint], bigint>;
  private readonly byElement: Column<[bigint], bigint>;

  constructor(store: StateStore) {
    this.incidents = store.column('incident', 1);
    this.byJob = store.column('incident-by-job', 1);
    this.byElement = store.column('incident-by-element', 1);
  }

  getIncident(incidentKey: bigint): IncidentRecordValue | undefined {
    return this.incidents.get(incidentKey);
  }

  getIncidentKeyOfJob(jobKey: bigint): bigint | undefined {
    return this.byJob.get(jobKey);
  }

  getIncidentKeyOfElement(elementInstanceKey: bigint): bigint | undefined {
    return this.byElement.get(elementInstanceKey);
  }

  createIncident(incidentKey: bigint, incident: IncidentRecordValue): void {
    this.incidents.put([incidentKey], incident as any);
    if (incident.jobKey >= 0n) this.byJob.put([incident.jobKey], incidentKey);
    else this.byElement.put([incident.elementInstanceKey], incidentKey);
  }

  deleteIncident(incidentKey: bigint): void {
    const incident = this.getIncident(incidentKey);
    if (!incident) return;
    this.incidents.delete(incidentKey);
    if (incident.jobKey >= 0n && this.byJob.has(incident.jobKey)) this.byJob.delete(incident.jobKey);
    if (incident.jobKey < 0n && this.byElement.has(incident.elementInstanceKey)) this.byElement.delete(incident.elementInstanceKey);
  }
}
