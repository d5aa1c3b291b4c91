import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { GatewayGrpcClient, type GrpcOutcome } from '../support/gateway-grpc.js';

/**
 * Back-pressure seen by a client of a broker whose partition runs on a worker thread: creations awaiting their result
 * hold their slots until their instances complete, and the gateway refuses early while the partition is full.
 */

const LIMIT = 2;
let broker: BrokerProcess;
let client: GatewayGrpcClient;

beforeAll(async () => {
  broker = await BrokerProcess.start({ partitions: 1, args: ['--partition-threads', '1', '--backpressure-algorithm', 'fixed', '--backpressure-limit', String(LIMIT)] });
  client = new GatewayGrpcClient(broker);
  const deployed = await client.call('DeployResource', { resources: [{ name: 'held.bpmn', content: oneTaskProcess('held', 'held-work') }] });
  if (!deployed.ok) throw new Error(`Expected to deploy held.bpmn, but: ${JSON.stringify(deployed)}`);
}, 60_000);

afterAll(async () => {
  client?.close();
  await broker?.dispose();
});

const createWithResult = (): Promise<GrpcOutcome> =>
  client.call('CreateProcessInstanceWithResult', { request: { bpmnProcessId: 'held', version: -1, variables: '{}' }, requestTimeout: 8_000 });

async function metric(name: string): Promise<number> {
  const { body } = await broker.monitoring('/metrics');
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${name}{partition="1"} `));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('back-pressure with partition threads', () => {
  it('given creations awaiting their result fill the limit, then others are refused (early, at the gateway) until the instances complete', async () => {
    // given: LIMIT instances waiting for a worker, their creations awaiting the result
    const awaiting = Array.from({ length: LIMIT }, () => createWithResult());
    await eventually('the creations to hold their slots', async () => ((await metric('tributary_backpressure_awaiting_result_commands')) === LIMIT ? true : undefined));

    // when: more creations, one after the other
    const refusedByPartition = await createWithResult();
    let refusedByGateway: GrpcOutcome | undefined;
    for (let attempt = 0; attempt < 20 && refusedByGateway === undefined; attempt++) {
      const outcome = await createWithResult();
      if (!outcome.ok && /refused the commands before this one/.test(outcome.details)) refusedByGateway = outcome;
      else expect(outcome).toMatchObject({ ok: false, codeName: 'RESOURCE_EXHAUSTED' });
    }

    // then: they are RESOURCE_EXHAUSTED, by the partition at its limit, and then by the gateway, without sending them
    expect(refusedByPartition).toMatchObject({ ok: false, codeName: 'RESOURCE_EXHAUSTED' });
    expect(refusedByPartition.ok ? '' : refusedByPartition.details).toMatch(/partition 1 is overloaded \(2 commands in flight\)/);
    expect(refusedByGateway).toMatchObject({ ok: false, codeName: 'RESOURCE_EXHAUSTED' });
    expect(await metric('tributary_backpressure_rejected_commands_total')).toBeGreaterThanOrEqual(1);
    expect(await metric('tributary_gateway_backpressure_refused_commands_total')).toBeGreaterThanOrEqual(1);

    // when: a worker activates and completes the jobs (always accepted, even now)
    const activated = await client.stream<{ jobs: { key: string }[] }>('ActivateJobs', { type: 'held-work', worker: 'w', timeout: 60_000, maxJobsToActivate: 10, requestTimeout: 1_000 });
    expect(activated.ok).toBe(true);
    const jobs = activated.ok ? activated.response.flatMap((response) => response.jobs) : [];
    expect(jobs).toHaveLength(LIMIT);
    for (const job of jobs) expect((await client.call('CompleteJob', { jobKey: job.key, variables: '{}' })).ok).toBe(true);

    // then: the waiting creations are answered with their results, and new creations are accepted again
    for (const outcome of await Promise.all(awaiting)) expect(outcome.ok).toBe(true);
    expect(await metric('tributary_backpressure_in_flight_commands')).toBe(0);
    const accepted = await eventually('a creation to be accepted again', async () => {
      const outcome = await client.call('CreateProcessInstance', { bpmnProcessId: 'held', version: -1, variables: '{}' });
      return outcome.ok ? outcome : undefined;
    });
    expect(accepted.ok).toBe(true);
  });
});
