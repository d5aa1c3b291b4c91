import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_BATCH_SIZE_BYTES_MAX } from '../../src/engine/processors/job/JobBatchActivateProcessor.js';
import { EngineHarness } from './engine-harness.js';

/** Each incident type the engine raises, and how it is resolved (docs/bpmn-coverage.md, "Incidents"). */
describe('incidents and their resolution', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const incident = () => engine.find('INCIDENT', 'CREATED').at(-1)!;
  const resolve = (key: bigint) => engine.write('INCIDENT', 'RESOLVE', {}, key);
  const setVariables = (scopeKey: bigint, variables: object) =>
    engine.write('VARIABLE_DOCUMENT', 'UPDATE', { scopeKey, variables, updateSemantics: 'PROPAGATE' });

  it('JOB_NO_RETRIES: resolving is refused until the retries are updated, then the job is activatable again', () => {
    // given
    engine.deploy('one-task.bpmn');
    engine.createInstance('one-task');
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    // when
    engine.write('JOB', 'FAIL', { retries: 0, errorMessage: 'down', retryBackOff: 0, variables: {} }, jobKey);
    // then
    expect(incident().value).toMatchObject({ errorType: 'JOB_NO_RETRIES', jobKey });
    expect(resolve(incident().key)?.rejectionType).toBe('INVALID_STATE');
    engine.write('JOB', 'UPDATE_RETRIES', { retries: 1 }, jobKey);
    expect(resolve(incident().key)?.intent).toBe('RESOLVED');
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([jobKey]);
  });

  it('UNHANDLED_ERROR_EVENT from a job: resolving makes the job activatable again', () => {
    engine.deploy('one-task.bpmn');
    engine.createInstance('one-task');
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    engine.write('JOB', 'THROW_ERROR', { errorCode: 'NOT_CAUGHT', errorMessage: '', variables: {} }, jobKey);
    expect(incident().value).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', jobKey });
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([]);
    expect(resolve(incident().key)?.intent).toBe('RESOLVED');
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([jobKey]);
  });

  it('IO_MAPPING_ERROR: after SetVariables fixes the input, resolving activates the element', () => {
    // given
    engine.deploy('incident-io-mapping.bpmn');
    const key = engine.createInstance('incident-io-mapping', { amount: 'ten' });
    // then
    expect(incident().value).toMatchObject({ errorType: 'IO_MAPPING_ERROR', elementId: 'work' });
    expect(incident().value.errorMessage).toContain("failed to evaluate expression 'amount + 1'");
    // when
    setVariables(key, { amount: 10 });
    expect(resolve(incident().key)?.intent).toBe('RESOLVED');
    // then
    const batch = engine.activateJobs('mapped-work').value as any;
    expect(batch.jobs[0].variables).toMatchObject({ amount: 10, next: 11 });
  });

  it('EXTRACT_VALUE_ERROR: a correlation key that is no string or number; after SetVariables the subscription opens', () => {
    engine.deploy('message-catch.bpmn');
    const key = engine.createInstance('message-catch');
    expect(incident().value.errorType).toBe('EXTRACT_VALUE_ERROR');
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CREATING')).toEqual([]);
    setVariables(key, { orderId: 'o-1' });
    expect(resolve(incident().key)?.intent).toBe('RESOLVED');
    engine.publishMessage('payment-received', 'o-1');
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
  });

  it('MESSAGE_SIZE_EXCEEDED: a job too large for any batch is not activated; resolving after the variables shrink activates it', () => {
    // given a job whose variables are larger than a batch may be
    engine.deploy('one-task.bpmn');
    const key = engine.createInstance('one-task', { payload: 'x'.repeat(JOB_BATCH_SIZE_BYTES_MAX) });
    // when
    const batch = engine.activateJobs('work').value as any;
    // then
    expect(batch.jobKeys).toEqual([]);
    const jobKey = engine.find('JOB', 'CREATED')[0].key;
    expect(incident().value).toMatchObject({ errorType: 'MESSAGE_SIZE_EXCEEDED', jobKey, elementId: 'work' });
    expect(incident().value.errorMessage).toContain(`The job with key '${jobKey}' can not be activated`);
    expect(engine.find('INCIDENT', 'CREATED')).toHaveLength(1);
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([]);
    expect(engine.find('INCIDENT', 'CREATED')).toHaveLength(1);
    // when the variable is made smaller and the incident resolved
    setVariables(key, { payload: 'small' });
    expect(resolve(incident().key)?.intent).toBe('RESOLVED');
    // then
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([jobKey]);
  });
});
