import { evaluateString, type Expression, type VariableLookup } from '../../bpmn/index.js';
import type { IncidentRecordValue, JobRecordValue } from '../../protocol/index.js';
import type { ReadonlyEngineState } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { Writers } from '../writers.js';

/** Zeebe's incident error types that this engine raises. */
export type IncidentErrorType =
  | 'JOB_NO_RETRIES'
  | 'UNHANDLED_ERROR_EVENT'
  | 'CONDITION_ERROR'
  | 'CALLED_ELEMENT_ERROR'
  | 'EXTRACT_VALUE_ERROR'
  | 'IO_MAPPING_ERROR'
  | 'MESSAGE_SIZE_EXCEEDED'
  | 'UNKNOWN';

/** Raises and resolves incidents. An element with an incident stays where it stopped until it is resolved. */
export class IncidentBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
  ) {}

  raiseElementIncident(context: ElementContext, errorType: IncidentErrorType, errorMessage: string): void {
    const value = context.value;
    const incident: IncidentRecordValue = {
      errorType,
      errorMessage,
      bpmnProcessId: value.bpmnProcessId,
      processDefinitionKey: value.processDefinitionKey,
      processInstanceKey: value.processInstanceKey,
      elementId: value.elementId,
      elementInstanceKey: context.key,
      jobKey: -1n,
      variableScopeKey: context.key,
      tenantId: value.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'INCIDENT', 'CREATED', incident);
  }

  /**
   * Evaluates an expression that must give a string (an error code, a signal name, a called process id); when it
   * fails, raises an EXTRACT_VALUE_ERROR incident on the element and returns undefined.
   */
  evaluateStringOrRaise(context: ElementContext, expression: Expression, variables: VariableLookup): string | undefined {
    const result = evaluateString(expression, variables);
    if (result.ok) return result.value;
    this.raiseElementIncident(context, 'EXTRACT_VALUE_ERROR', result.message);
    return undefined;
  }

  raiseJobIncident(jobKey: bigint, job: JobRecordValue, errorType: IncidentErrorType, errorMessage: string): void {
    const incident: IncidentRecordValue = {
      errorType,
      errorMessage,
      bpmnProcessId: job.bpmnProcessId,
      processDefinitionKey: job.processDefinitionKey,
      processInstanceKey: job.processInstanceKey,
      elementId: job.elementId,
      elementInstanceKey: job.elementInstanceKey,
      jobKey,
      variableScopeKey: job.elementInstanceKey,
      tenantId: job.tenantId,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'INCIDENT', 'CREATED', incident);
  }

  /** Resolves the incidents of an element instance and of its job (the element is being terminated). */
  resolveIncidentsOf(elementInstanceKey: bigint, jobKey: bigint): void {
    const elementIncident = this.state.incidents.getIncidentKeyOfElement(elementInstanceKey);
    if (elementIncident !== undefined) this.resolve(elementIncident);
    const jobIncident = jobKey >= 0n ? this.state.incidents.getIncidentKeyOfJob(jobKey) : undefined;
    if (jobIncident !== undefined) this.resolve(jobIncident);
  }

  resolve(incidentKey: bigint): void {
    const incident = this.state.incidents.getIncident(incidentKey);
    if (incident) this.writers.appendEvent(incidentKey, 'INCIDENT', 'RESOLVED', incident);
  }
}
