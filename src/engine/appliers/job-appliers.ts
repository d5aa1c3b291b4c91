import { stringifyJson, type JobBatchRecordValue, type JobRecordValue, type Record } from '../../protocol/index.js';
import type { EngineState, JobLifecycle } from '../../state/domain/index.js';

type Applier = (record: Record) => void;

/** JOB and JOB_BATCH events. Stored jobs carry no variables: they are read from the scope when a job is activated. */
export function jobAppliers(state: EngineState): [string, Applier][] {
  const jobs = state.jobs;
  const put = (record: Record, lifecycle: JobLifecycle) => {
    const value = record.value as unknown as JobRecordValue;
    jobs.putJob(record.key, lifecycle, { ...value, variables: {} });
  };
  const becomes = (lifecycle: JobLifecycle): Applier => (record) => put(record, lifecycle);
  return [
    ['JOB.CREATED', (record) => {
      put(record, 'ACTIVATABLE');
      const value = record.value as unknown as JobRecordValue;
      state.elementInstances.updateInstance(value.elementInstanceKey, () => ({ jobKey: record.key }));
    }],
    ['JOB_BATCH.ACTIVATED', (record) => {
      const batch = record.value as unknown as JobBatchRecordValue;
      batch.jobKeys.forEach((jobKey, index) => jobs.putJob(jobKey, 'ACTIVATED', { ...batch.jobs[index], variables: {} }));
    }],
    ['JOB.COMPLETED', (record) => {
      const value = record.value as unknown as JobRecordValue;
      jobs.deleteJob(record.key);
      state.elementInstances.updateInstance(value.elementInstanceKey, () => ({
        jobKey: -1n,
        completionVariables: stringifyJson(value.variables ?? {}),
      }));
    }],
    ['JOB.FAILED', (record) => {
      const value = record.value as unknown as JobRecordValue;
      put(record, value.retries > 0 && value.retryBackoff <= 0 ? 'ACTIVATABLE' : 'FAILED');
    }],
    ['JOB.ERROR_THROWN', becomes('ERROR_THROWN')],
    ['JOB.TIMED_OUT', becomes('ACTIVATABLE')],
    ['JOB.YIELDED', becomes('ACTIVATABLE')],
    ['JOB.RECURRED_AFTER_BACKOFF', becomes('ACTIVATABLE')],
    ['JOB.TIMEOUT_UPDATED', becomes('ACTIVATED')],
    ['JOB.RETRIES_UPDATED', (record) => {
      const stored = jobs.getJob(record.key);
      if (stored) put(record, stored.state);
    }],
    ['JOB.CANCELED', (record) => {
      const value = record.value as unknown as JobRecordValue;
      jobs.deleteJob(record.key);
      state.elementInstances.updateInstance(value.elementInstanceKey, () => ({ jobKey: -1n }));
    }],
  ];
}
