import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JOB_BATCH_SIZE_BYTES_MAX } from '../../src/engine/behaviors/job-size.js';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, delay, eventually } from '../support/broker-process.js';
import { camundaClient, streamCompletingJobs, type ZeebeClient } from '../support/camunda-client.js';
import { incidentEvents, processInstanceCompleted } from '../support/exported-records.js';

/**
 * A job pushed to a job stream (StreamActivatedJobs) travels in one gateway message, as a batch of one. A job too
 * large for it gets a MESSAGE_SIZE_EXCEEDED incident, as ActivateJobs gives it, instead of a push the stream cannot
 * carry; the stream goes on with the next jobs.
 */
describe('a job too large to push to a job stream', () => {
  let broker: BrokerProcess;
  let zbc: ZeebeClient;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ exportJsonl: true });
    zbc = camundaClient(broker);
  });

  afterAll(async () => {
    await zbc?.close();
    await broker?.dispose();
  });

  test('given an open job stream, when a job with variables above the batch size is created, then it gets an incident and the stream still gets the next job', async () => {
    // given an open stream, after its one catch-up poll, with no recurring polls
    await zbc.deployResource({ name: 'stream-large.bpmn', process: oneTaskProcess('stream-large', 'stream-large') });
    const stream = await streamCompletingJobs(zbc, 'stream-large');
    const { pushed } = stream;
    try {
      // The SDK resolves before the gateway registered the stream; a moment's grace keeps this test about pushing.
      await delay(200);

      // when a job too large for any message is created
      const large = await zbc.createProcessInstance({ bpmnProcessId: 'stream-large', variables: { payload: 'x'.repeat(JOB_BATCH_SIZE_BYTES_MAX) } });

      // then it gets a MESSAGE_SIZE_EXCEEDED incident on its job, from the push, not from a poll
      const [incident] = await eventually('the incident of the large job', () => {
        const created = incidentEvents(broker.exportedRecords(), large.processInstanceKey, 'CREATED');
        return created.length > 0 && created;
      });
      expect(incident.value).toMatchObject({ errorType: 'MESSAGE_SIZE_EXCEEDED', elementId: 'task' });
      expect(incident.value.errorMessage).toContain('can not be activated');
      const polls = broker.exportedRecords().filter((record) => record.valueType === 'JOB_BATCH' && record.recordType === 'COMMAND' && record.value.type === 'stream-large');
      expect(polls).toEqual([]);

      // and when a small job comes next, the same stream gets it and completes it
      const small = await zbc.createProcessInstance({ bpmnProcessId: 'stream-large', variables: { payload: 'small' } });
      await eventually(`process instance ${small.processInstanceKey} to complete`, () => processInstanceCompleted(broker.exportedRecords(), small.processInstanceKey));
      expect(pushed).toEqual([small.processInstanceKey]);
    } finally {
      // The SDK's stream worker prints the CANCELLED status its own close causes; keep the test output clean.
      const error = console.error;
      console.error = () => {};
      stream.close();
      await delay(50);
      console.error = error;
    }
  });
});
