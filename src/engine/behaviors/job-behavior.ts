import { evaluateNumber, evaluateString } from '../../bpmn/index.js';
import type { JobBatchRecordValue, JobRecordValue } from '../../protocol/index.js';
import type { ReadonlyEngineState } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { JobStreamRegistry } from '../job-streams.js';
import type { Writers } from '../writers.js';
import type { IncidentBehavior } from './incident-behavior.js';
import { jobTooLarge, raiseJobTooLarge } from './job-size.js';
import type { VariableBehavior } from './variable-behavior.js';

/** Creates jobs for job-based elements and hands activatable jobs to job streams or to waiting pollers. */
export class JobBehavior {
  /** Reused by every offer (one at a time): what collecting a pushed job's variables read, to bound their size. */
  private readonly collected = { storedChars: 0 };

  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
    private readonly jobStreams: JobStreamRegistry,
    private readonly incidents: IncidentBehavior,
    private readonly variables: VariableBehavior,
  ) {}

  /** Evaluates the job type and retries and writes JOB CREATED; raises an incident and returns false on failure. */
  createJob(context: ElementContext): boolean {
    const definition = context.element.job;
    if (!definition) throw new Error(`Element '${context.element.id}' has no job definition`);
    const lookup = this.variables.lookup(context.key);
    const type = evaluateString(definition.type, lookup);
    if (!type.ok) {
      this.incidents.raiseElementIncident(context, 'EXTRACT_VALUE_ERROR', type.message);
      return false;
    }
    const retries = evaluateNumber(definition.retries, lookup);
    if (!retries.ok) {
      this.incidents.raiseElementIncident(context, 'EXTRACT_VALUE_ERROR', retries.message);
      return false;
    }
    const retriesValue = Math.trunc(retries.value);
    const job = this.newJob(context, type.value, retriesValue);
    const jobKey = this.state.keys.nextKey();
    this.writers.appendEvent(jobKey, 'JOB', 'CREATED', job);
    this.offer(jobKey, job, context.nowMs);
    return true;
  }

  /**
   * A job just became activatable: push it to an open job stream, or tell pollers that jobs of its type wait. A job
   * too large for the stream's message gets a MESSAGE_SIZE_EXCEEDED incident instead, as ActivateJobs gives it.
   */
  offer(jobKey: bigint, job: JobRecordValue, nowMs: number): void {
    const stream = this.jobStreams.pick(job.type, job.tenantId);
    if (!stream) {
      this.writers.sideEffect({ kind: 'jobs-available', jobType: job.type });
      return;
    }
    const collected = this.collected;
    collected.storedChars = 0;
    const variables = this.state.variables.collectVisible(job.elementInstanceKey, stream.fetchVariables, collected);
    if (jobTooLarge(variables, collected.storedChars)) {
      raiseJobTooLarge(jobKey, job, this.incidents);
      return;
    }
    const activated: JobRecordValue = { ...job, worker: stream.worker, deadline: nowMs + stream.timeoutMs, variables };
    const batch: JobBatchRecordValue = {
      type: job.type,
      worker: stream.worker,
      timeout: stream.timeoutMs,
      maxJobsToActivate: 1,
      jobKeys: [jobKey],
      jobs: [activated],
      variables: stream.fetchVariables,
      truncated: false,
      tenantIds: stream.tenantIds,
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'JOB_BATCH', 'ACTIVATED', batch);
    this.writers.sideEffect({ kind: 'push-job', streamId: stream.streamId, jobKey, job: activated });
  }

  cancelJob(jobKey: bigint): void {
    const job = this.state.jobs.getJob(jobKey);
    if (job) this.writers.appendEvent(jobKey, 'JOB', 'CANCELED', job.value);
  }

  private newJob(context: ElementContext, type: string, retries: number): JobRecordValue {
    const value = context.value;
    return {
      type,
      worker: '',
      retries,
      retryBackoff: 0,
      recurringTime: -1,
      deadline: -1,
      timeout: -1,
      errorMessage: '',
      errorCode: '',
      customHeaders: context.element.job?.headers ?? {},
      variables: {},
      processInstanceKey: value.processInstanceKey,
      bpmnProcessId: value.bpmnProcessId,
      processDefinitionVersion: value.version,
      processDefinitionKey: value.processDefinitionKey,
      elementId: value.elementId,
      elementInstanceKey: context.key,
      tenantId: value.tenantId,
      jobKind: 'BPMN_ELEMENT',
      jobListenerEventType: 'UNSPECIFIED',
      changedAttributes: [],
    };
  }
}
