import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { GatewayGrpcClient, type GrpcOutcome } from '../support/gateway-grpc.js';

/**
 * A partition whose storage fails stops processing for good: the broker stays up, says so on /ready, and answers
 * every request for the partition with UNAVAILABLE naming the failure at once — not after the request's timeout,
 * as it would while waiting for a leader that is only changing.
 */

const PROCESS_ID = 'storage-failure';
/** Small segments, so that the log soon opens a new segment file (which fails once its directory is gone). */
const SEGMENT_SIZE_BYTES = 4_096;
/** More than enough instances to fill a segment: each one's records take several hundred bytes of the log. */
const CREATIONS_MAX = 200;

describe('a partition whose storage fails', () => {
  let broker: BrokerProcess | undefined;
  let client: GatewayGrpcClient | undefined;

  afterEach(async () => {
    client?.close();
    await broker?.dispose();
    broker = client = undefined;
  });

  it('answers every request for it with UNAVAILABLE naming the failure at once, and /ready says it stopped', async () => {
    // given: a broker with a deployed process, whose partition's log directory is deleted
    broker = await BrokerProcess.start({ args: ['--log-segment-size', String(SEGMENT_SIZE_BYTES)] });
    client = new GatewayGrpcClient(broker);
    const deployed = await client.call('DeployResource', { resources: [{ name: `${PROCESS_ID}.bpmn`, content: oneTaskProcess(PROCESS_ID, 'never-worked') }] });
    expect(deployed.ok).toBe(true);
    rmSync(join(broker.dataDir, 'partitions', '1', 'log'), { recursive: true, force: true });

    // when: instances are created until the log needs its next segment
    let failure: GrpcOutcome | undefined;
    for (let attempt = 0; attempt < CREATIONS_MAX && failure === undefined; attempt++) {
      const outcome = await client.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{}' });
      if (!outcome.ok) failure = outcome;
    }

    // then: the failure is reported, and each later request is refused at once with the reason
    expect(failure).toMatchObject({ ok: false, codeName: 'UNAVAILABLE' });
    const later = await client.call('CreateProcessInstanceWithResult', { request: { bpmnProcessId: PROCESS_ID, version: -1, variables: '{}' }, requestTimeout: '20000' });
    // (The gateway used to try again as for a leader change, until the client's deadline of 10 s: DEADLINE_EXCEEDED.)
    expect(later).toMatchObject({ ok: false, codeName: 'UNAVAILABLE' });
    expect(later.ok === false && later.details).toMatch(/Partition 1 failed and stopped processing: .*ENOENT/);
    const ready = await eventually('/ready to report the failed partition', async () => {
      const response = await fetch(`${broker!.monitoringUrl}/ready`);
      return response.status === 503 ? await response.text() : undefined;
    });
    expect(ready).toContain('Partition 1 stopped processing');
    expect(broker.isRunning).toBe(true);
  }, 60_000);
});
