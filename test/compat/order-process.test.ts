import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { camundaClient, type ZeebeClient } from '../support/camunda-client.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/**
 * An order from receipt to shipping, as a user runs it with the official SDK against a broker process: one job per
 * order line (multi-instance), an out-of-stock error thrown by a worker (error boundary event), the payment
 * correlated by order id (message), a payment timeout (timer boundary event) and shipping in its own process (call
 * activity). The tests assert what the client sees: the variables at completion and the jobs its workers got.
 */

const FIXTURES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn');

interface OrderLine {
  sku: string;
}

interface OrderVariables {
  orderId: string;
  lines: OrderLine[];
  paymentTimeout: string;
  line?: OrderLine;
}

/** What a worker does with a job: complete it with variables, or throw the error with that code. */
interface WorkerOutcome {
  error?: string;
  variables: { [name: string]: string | boolean };
}

describe('@camunda8/sdk: an order from receipt to shipping', () => {
  let broker: BrokerProcess;
  let zbc: ZeebeClient;
  /** Jobs the workers got, as `<job type> <orderId>`. */
  const jobs: string[] = [];

  beforeAll(async () => {
    broker = await BrokerProcess.start({ exportJsonl: true });
    zbc = camundaClient(broker);
    for (const name of ['order-shipping.bpmn', 'order-fulfilment.bpmn']) {
      await zbc.deployResource({ name, process: readFileSync(join(FIXTURES, name)) });
    }
    const worker = (taskType: string, handle: (variables: OrderVariables) => WorkerOutcome) =>
      zbc.createWorker<OrderVariables>({
        taskType,
        taskHandler: (job) => {
          jobs.push(`${taskType} ${job.variables.orderId}`);
          const outcome = handle(job.variables);
          if (outcome.error) return job.error({ errorCode: outcome.error, errorMessage: 'not in stock', variables: outcome.variables });
          return job.complete(outcome.variables);
        },
      });
    worker('order-reserve-line', ({ orderId, line }): WorkerOutcome => {
      const sku = line?.sku ?? '';
      return sku === 'sold-out' ? { error: 'OUT_OF_STOCK', variables: { missingSku: sku } } : { variables: { reservation: `${orderId}/${sku}` } };
    });
    worker('order-notify-customer', () => ({ variables: { customerNotified: true } }));
    worker('order-release-stock', () => ({ variables: { stockReleased: true } }));
    worker('order-pack-parcel', ({ orderId }) => ({ variables: { parcel: `P-${orderId}` } }));
    worker('order-hand-over', ({ orderId }) => ({ variables: { trackingId: `T-${orderId}` } }));
  }, 60_000);

  afterAll(async () => {
    await zbc?.close();
    await broker?.dispose();
  });

  function jobsOf(orderId: string): { [jobType: string]: number } {
    const counts: { [jobType: string]: number } = {};
    for (const job of jobs.filter((entry) => entry.endsWith(` ${orderId}`))) {
      const type = job.split(' ')[0];
      counts[type] = (counts[type] ?? 0) + 1;
    }
    return counts;
  }

  function placeOrder(orderId: string, skus: string[], paymentTimeout: string) {
    const variables = { orderId, lines: skus.map((sku) => ({ sku })), paymentTimeout };
    return zbc.createProcessInstanceWithResult({ bpmnProcessId: 'order-fulfilment', variables, requestTimeout: 20_000 });
  }

  test('a paid order reserves each line, takes the payment correlated by its id and ships through the shipping process', async () => {
    // given the payment arrives first (buffered until the order waits for it)
    await zbc.publishMessage({ name: 'order-payment-received', correlationKey: 'o-paid', timeToLive: 30_000, variables: { amountPaid: 30 } });
    // when
    const result = await placeOrder('o-paid', ['apples', 'pears', 'plums'], 'PT30S');
    // then
    expect(result.variables).toMatchObject({
      orderId: 'o-paid',
      reservations: ['o-paid/apples', 'o-paid/pears', 'o-paid/plums'],
      amountPaid: 30,
      parcel: 'P-o-paid',
      trackingId: 'T-o-paid',
    });
    expect(result.variables).not.toHaveProperty('stockReleased');
    expect(jobsOf('o-paid')).toEqual({ 'order-reserve-line': 3, 'order-pack-parcel': 1, 'order-hand-over': 1 });
    const shipping = broker
      .exportedRecords()
      .filter((record) => record.valueType === 'PROCESS_INSTANCE' && record.intent === 'ELEMENT_COMPLETED' && record.value.bpmnElementType === 'PROCESS');
    expect(shipping.some((record) => record.value.bpmnProcessId === 'order-shipping' && String(record.value.parentProcessInstanceKey) === result.processInstanceKey)).toBe(true);
  });

  test('a line out of stock: the worker throws an error, the error boundary event tells the customer and nothing ships', async () => {
    // when
    const result = await placeOrder('o-sold-out', ['apples', 'sold-out', 'plums'], 'PT30S');
    // then
    expect(result.variables).toMatchObject({ orderId: 'o-sold-out', missingSku: 'sold-out', customerNotified: true });
    expect(result.variables).not.toHaveProperty('trackingId');
    expect(jobsOf('o-sold-out')['order-notify-customer']).toBe(1);
    expect(jobsOf('o-sold-out')).not.toHaveProperty('order-pack-parcel');
  });

  test('an order nobody pays: the payment timeout fires, the stock is released and nothing ships', async () => {
    // when
    const startedMs = Date.now();
    const result = await placeOrder('o-unpaid', ['apples'], 'PT1S');
    // then
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(1_000);
    expect(result.variables).toMatchObject({ orderId: 'o-unpaid', reservations: ['o-unpaid/apples'], stockReleased: true });
    expect(jobsOf('o-unpaid')).toEqual({ 'order-reserve-line': 1, 'order-release-stock': 1 });
  });

  test('an order flow written in YAML deploys through DeployResource and runs to its end', async () => {
    // given
    const yaml = readFileSync(join(REPOSITORY_ROOT, 'test', 'fixtures', 'yaml', 'yaml-order.yaml'));
    const deployed = await zbc.deployResource({ name: 'yaml-order.yaml', process: yaml });
    expect(deployed.deployments[0].process).toMatchObject({ bpmnProcessId: 'yaml-order', resourceName: 'yaml-order.yaml' });
    zbc.createWorker({ taskType: 'check-stock', taskHandler: (job) => job.complete({ available: true }) });
    zbc.createWorker({ taskType: 'ship', taskHandler: (job) => job.complete({ carrier: job.customHeaders.carrier }) });
    await zbc.publishMessage({ name: 'payment-received', correlationKey: 'o-yaml', timeToLive: 30_000, variables: { paid: true } });
    // when
    const result = await zbc.createProcessInstanceWithResult({ bpmnProcessId: 'yaml-order', variables: { orderId: 'o-yaml' }, requestTimeout: 20_000 });
    // then
    expect(result.variables).toMatchObject({ orderId: 'o-yaml', inStock: true, paid: true, carrier: 'post' });
  });
});
