import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DueJobCommands } from '../../src/engine/index.js';
import { JOB_BATCH_SIZE_BYTES_MAX, jobSizeBoundBytes, jobSizeBytes } from '../../src/engine/behaviors/job-size.js';
import { parseJson } from '../../src/protocol/index.js';
import { EngineHarness } from './engine-harness.js';

describe('jobs', () => {
  let engine: EngineHarness;
  let instanceKey: bigint;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('one-task.bpmn');
    instanceKey = engine.createInstance('one-task');
  });
  afterEach(async () => {
    await engine.close();
  });

  const activateOne = () => (engine.activateJobs('work', 1).value as any).jobKeys[0] as bigint;

  it('an activated job is not handed out twice; an empty activation writes nothing', () => {
    const jobKey = activateOne();
    expect(jobKey).toBeDefined();
    const before = engine.records.length;
    const second = engine.activateJobs('work');
    expect((second.value as any).jobKeys).toEqual([]);
    expect(engine.records.length).toBe(before);
  });

  it('a failed job with retries left is activatable again; at zero retries an incident is raised', () => {
    let jobKey = activateOne();
    engine.write('JOB', 'FAIL', { retries: 1, errorMessage: 'boom' }, jobKey);
    jobKey = activateOne();
    expect(jobKey).toBeDefined();
    const failed = engine.write('JOB', 'FAIL', { retries: 0, errorMessage: 'broken for good' }, jobKey);
    expect(failed?.intent).toBe('FAILED');
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident.value).toMatchObject({ errorType: 'JOB_NO_RETRIES', errorMessage: 'broken for good', jobKey });
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([]);
    // resolving without retries is refused; after UpdateJobRetries it resumes
    const refused = engine.write('INCIDENT', 'RESOLVE', {}, incident.key);
    expect(refused?.rejectionType).toBe('INVALID_STATE');
    engine.write('JOB', 'UPDATE_RETRIES', { retries: 2 }, jobKey);
    expect(engine.write('INCIDENT', 'RESOLVE', {}, incident.key)?.intent).toBe('RESOLVED');
    const again = activateOne();
    expect(again).toBe(jobKey);
    engine.write('JOB', 'COMPLETE', { variables: {} }, again);
    expect(engine.elementEvents(instanceKey).at(-1)).toBe('one-task:ELEMENT_COMPLETED');
  });

  it('a failure with a retry back-off waits until the back-off has passed', () => {
    const jobKey = activateOne();
    engine.write('JOB', 'FAIL', { retries: 2, errorMessage: 'later', retryBackoff: 5000 }, jobKey);
    expect((engine.activateJobs('work').value as any).jobKeys).toEqual([]);
    const due = new DueJobCommands(engine.engine.state.jobs);
    expect(due.collect(engine.nowMs + 1000)).toEqual([]);
    engine.nowMs += 6000;
    const commands = due.collect(engine.nowMs);
    expect(commands).toEqual([{ key: jobKey, intent: 'RECUR_AFTER_BACKOFF' }]);
    engine.write('JOB', 'RECUR_AFTER_BACKOFF', {}, jobKey);
    expect(activateOne()).toBe(jobKey);
  });

  it('an activation that expires makes the job activatable again', () => {
    const jobKey = (engine.activateJobs('work', 1, 1000).value as any).jobKeys[0];
    engine.nowMs += 2000;
    const commands = new DueJobCommands(engine.engine.state.jobs).collect(engine.nowMs);
    expect(commands).toEqual([{ key: jobKey, intent: 'TIME_OUT' }]);
    engine.write('JOB', 'TIME_OUT', {}, jobKey);
    expect(engine.find('JOB', 'TIMED_OUT')).toHaveLength(1);
    expect(activateOne()).toBe(jobKey);
  });

  it('UpdateJobTimeout moves the deadline; a thrown error without a catch event raises an incident', () => {
    const jobKey = activateOne();
    const updated = engine.write('JOB', 'UPDATE_TIMEOUT', { timeout: 120_000 }, jobKey);
    expect((updated!.value as any).deadline).toBe(engine.nowMs + 120_000);
    const thrown = engine.write('JOB', 'THROW_ERROR', { errorCode: 'NO_STOCK', errorMessage: 'none left' }, jobKey);
    expect(thrown?.intent).toBe('ERROR_THROWN');
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident.value.errorType).toBe('UNHANDLED_ERROR_EVENT');
    expect(incident.value.errorMessage).toContain("'NO_STOCK'");
  });

  it('rejects commands on unknown jobs with NOT_FOUND and Zeebe-style reasons', () => {
    const response = engine.write('JOB', 'COMPLETE', { variables: {} }, 2251799813689999n);
    expect(response?.rejectionType).toBe('NOT_FOUND');
    expect(response?.rejectionReason).toBe("Expected to complete job with key '2251799813689999', but no such job was found");
  });

  it('a job created while a job stream is open is pushed to it', () => {
    engine.jobStreams.add({ streamId: 7, type: 'work', worker: 'streamer', timeoutMs: 30_000, fetchVariables: [], tenantIds: ['<default>'] });
    engine.createInstance('one-task', { pushed: true });
    const push = engine.sideEffects.find((effect) => effect.kind === 'push-job');
    expect(push).toMatchObject({ kind: 'push-job', streamId: 7 });
    expect((push as any).job.variables).toEqual({ pushed: true });
  });

  it('a job too large for a push gets a MESSAGE_SIZE_EXCEEDED incident instead; one just below the limit is pushed', () => {
    // given an open job stream, and the fields of a job besides its variables
    engine.jobStreams.add({ streamId: 7, type: 'work', worker: 'streamer', timeoutMs: 30_000, fetchVariables: [], tenantIds: ['<default>'] });
    const fieldsBytes = jobSizeBytes({}) - '{}'.length;
    const payloadFitting = 'x'.repeat(JOB_BATCH_SIZE_BYTES_MAX - fieldsBytes - '{"payload":""}'.length);
    // when one job is exactly at the limit and one is a byte over it
    engine.createInstance('one-task', { payload: payloadFitting });
    const tooLarge = engine.createInstance('one-task', { payload: `${payloadFitting}x` });
    // then the first is pushed and the second gets the incident, not a push
    const pushes = engine.sideEffects.filter((effect) => effect.kind === 'push-job');
    expect(pushes).toHaveLength(1);
    expect((pushes[0] as any).job.variables.payload).toHaveLength(payloadFitting.length);
    const incidents = engine.find('INCIDENT', 'CREATED');
    expect(incidents).toHaveLength(1);
    expect(incidents[0].value).toMatchObject({ errorType: 'MESSAGE_SIZE_EXCEEDED', processInstanceKey: tooLarge });
  });

  it('an activation fills its batch up to the size limit exactly: one job more than fits is left for the next, marked truncated', () => {
    // given a small job (whose size bound is above its size) and two large ones that, with it and the job of
    // beforeEach, fill the batch exactly, then one more small job
    const fieldsBytes = jobSizeBytes({}) - '{}'.length;
    const small = engine.createInstance('one-task', { n: 1 });
    const room = JOB_BATCH_SIZE_BYTES_MAX - jobSizeBytes({}) - jobSizeBytes({ n: 1 });
    const payloadOf = (bytes: number) => 'x'.repeat(bytes - fieldsBytes - '{"payload":""}'.length);
    const first = engine.createInstance('one-task', { payload: payloadOf(Math.floor(room / 2)) });
    const second = engine.createInstance('one-task', { payload: payloadOf(room - Math.floor(room / 2)) });
    engine.createInstance('one-task', { n: 2 });

    // when activating all of them, then again
    const batch = engine.activateJobs('work', 10).value as any;
    const rest = engine.activateJobs('work', 10).value as any;

    // then the first batch holds every job up to the limit, and the last comes next
    expect(batch.jobs.map((job: any) => job.processInstanceKey)).toEqual([instanceKey, small, first, second]);
    expect(batch.truncated).toBe(true);
    expect(rest.jobKeys).toHaveLength(1);
    expect(rest.truncated).toBe(false);
  });

  it('the size bound of stored variables is never below the size of their JSON written out again', () => {
    // Stored JSON that grows when parsed and written again: exponents written out, escapes, a lone surrogate, bigints.
    const stored: { [name: string]: string } = {
      exponents: `[${Array(1000).fill('9e20').join(',')}]`,
      small: `[${Array(1000).fill('1e-6').join(',')}]`,
      escaped: `"${'\\u0001'.repeat(100)}"`,
      surrogate: `"${'\ud800'.repeat(100)}"`,
      bigints: `[${Array(100).fill('123456789012345678901').join(',')}]`,
      ['\u0001'.repeat(50)]: 'true',
    };
    for (const [name, text] of Object.entries(stored)) {
      const written = jobSizeBytes({ [name]: parseJson(text) });
      expect(written, name).toBeLessThanOrEqual(jobSizeBoundBytes(name.length + text.length + 1));
    }
  });
});
