import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateCondition, evaluateNumber, evaluateString } from './feel/index.js';
import type { ExecutableFlowNode, ExecutableProcess, VariableLookup } from './model.js';
import { parseBpmn } from './parse-bpmn.js';

function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../test/fixtures/bpmn/${name}`, import.meta.url));
}

function variables(values: { [name: string]: unknown }): VariableLookup {
  return (name) => values[name];
}

function parseOrderProcess(): ExecutableProcess {
  const result = parseBpmn(fixture('order-process.bpmn'), 'order-process.bpmn');
  expect(result.problems).toEqual([]);
  expect(result.processes).toHaveLength(1);
  return result.processes[0];
}

function node(process: ExecutableProcess, id: string): ExecutableFlowNode {
  const element = process.elements.get(id);
  if (element === undefined) throw new Error(`no element '${id}'`);
  return element;
}

describe('parsing a process saved by Camunda Modeler', () => {
  it('gives the executable process with its version tag and none start event', () => {
    // given a Modeler file with diagram interchange, Modeler namespaces and zeebe extension elements
    // when it is parsed
    const process = parseOrderProcess();

    // then
    expect(process.id).toBe('order-process');
    expect(process.name).toBe('Order process');
    expect(process.bpmnElementType).toBe('PROCESS');
    expect(process.bpmnEventType).toBe('UNSPECIFIED');
    expect(process.flowScope).toBeUndefined();
    expect(process.versionTag).toBe('v1.2');
    expect(process.noneStartEvent).toBe(node(process, 'StartEvent_1'));
  });

  it('gives every flow node with its type, flow scope and flows', () => {
    // given / when
    const process = parseOrderProcess();

    // then
    const summary = [...process.elements.values()]
      .filter((element) => element !== process)
      .map((element) => ({
        id: element.id,
        type: element.bpmnElementType,
        event: element.bpmnEventType,
        incoming: element.incoming.map((flow) => flow.id),
        outgoing: element.outgoing.map((flow) => flow.id),
      }));
    expect(summary).toEqual([
      { id: 'StartEvent_1', type: 'START_EVENT', event: 'NONE', incoming: [], outgoing: ['Flow_0k2x3ab'] },
      { id: 'payment', type: 'SERVICE_TASK', event: 'UNSPECIFIED', incoming: ['Flow_0k2x3ab'], outgoing: ['Flow_1m8c2hd'] },
      {
        id: 'Gateway_1yt7xqp',
        type: 'EXCLUSIVE_GATEWAY',
        event: 'UNSPECIFIED',
        incoming: ['Flow_1m8c2hd'],
        outgoing: ['Flow_paid', 'Flow_1declined', 'Flow_0review'],
      },
      { id: 'Event_1declined', type: 'END_EVENT', event: 'NONE', incoming: ['Flow_1declined'], outgoing: [] },
      { id: 'Event_0review', type: 'END_EVENT', event: 'NONE', incoming: ['Flow_0review'], outgoing: [] },
      {
        id: 'Gateway_0fork3x',
        type: 'PARALLEL_GATEWAY',
        event: 'UNSPECIFIED',
        incoming: ['Flow_paid'],
        outgoing: ['Flow_0ship1a', 'Flow_1conf2b'],
      },
      { id: 'ship-goods', type: 'SERVICE_TASK', event: 'UNSPECIFIED', incoming: ['Flow_0ship1a'], outgoing: ['Flow_1ship3c'] },
      {
        id: 'send-confirmation',
        type: 'SERVICE_TASK',
        event: 'UNSPECIFIED',
        incoming: ['Flow_1conf2b'],
        outgoing: ['Flow_0conf4d'],
      },
      {
        id: 'Gateway_1join9w',
        type: 'PARALLEL_GATEWAY',
        event: 'UNSPECIFIED',
        incoming: ['Flow_1ship3c', 'Flow_0conf4d'],
        outgoing: ['Flow_1done5e'],
      },
      { id: 'Event_0shipped', type: 'END_EVENT', event: 'NONE', incoming: ['Flow_1done5e'], outgoing: [] },
    ]);
    for (const element of process.elements.values()) {
      if (element !== process) expect(element.flowScope).toBe(process);
    }
    expect(node(process, 'payment').name).toBe('Collect payment');
  });

  it('gives every sequence flow, connected to the same node objects', () => {
    // given / when
    const process = parseOrderProcess();

    // then
    expect([...process.sequenceFlows.keys()]).toHaveLength(10);
    const paid = process.sequenceFlows.get('Flow_paid');
    expect(paid?.source).toBe(node(process, 'Gateway_1yt7xqp'));
    expect(paid?.target).toBe(node(process, 'Gateway_0fork3x'));
    expect(node(process, 'Gateway_1yt7xqp').outgoing[0]).toBe(paid);
  });

  it('gives the service task its job definition, headers and mappings', () => {
    // given / when
    const payment = node(parseOrderProcess(), 'payment');

    // then
    expect(payment.job?.type).toMatchObject({ source: 'payment-service', isStatic: true });
    expect(payment.job?.retries).toMatchObject({ source: '5', isStatic: true });
    expect(payment.job?.headers).toEqual({ method: 'credit-card', currency: 'EUR' });
    expect(payment.inputMappings.map((mapping) => [mapping.source.source, mapping.target])).toEqual([
      ['=order.total', 'amount'],
      ['=orderId', 'reference'],
    ]);
    expect(payment.outputMappings.map((mapping) => [mapping.source.source, mapping.target])).toEqual([
      ['=paymentStatus', 'paymentStatus'],
      ['=if paymentStatus = "PAID" then transactionId else null', 'order.transactionId'],
    ]);
  });

  it('compiles job types and retries, with Zeebe default retries', () => {
    // given
    const process = parseOrderProcess();
    const scope = variables({ channel: 'email', shippingRetries: 7 });

    // when
    const confirmationType = evaluateString(node(process, 'send-confirmation').job!.type, scope);
    const confirmationRetries = evaluateNumber(node(process, 'send-confirmation').job!.retries, scope);
    const shippingRetries = evaluateNumber(node(process, 'ship-goods').job!.retries, scope);

    // then
    expect(confirmationType).toEqual({ ok: true, value: 'notification-email' });
    expect(confirmationRetries).toEqual({ ok: true, value: 3 });
    expect(shippingRetries).toEqual({ ok: true, value: 7 });
  });

  it('gives the exclusive gateway its conditions and its default flow', () => {
    // given
    const process = parseOrderProcess();
    const gateway = node(process, 'Gateway_1yt7xqp');
    const [paid, declined, review] = gateway.outgoing;

    // when
    const paidWhenPaid = evaluateCondition(paid.condition!, variables({ paymentStatus: 'PAID' }));
    const declinedAfterThreeAttempts = evaluateCondition(
      declined.condition!,
      variables({ paymentStatus: 'DECLINED', attempts: 3 }),
    );

    // then
    expect(gateway.defaultFlow).toBe(review);
    expect(review.condition).toBeUndefined();
    expect(paid.condition?.source).toBe('=paymentStatus = "PAID"');
    expect(paidWhenPaid).toEqual({ ok: true, value: true });
    expect(declinedAfterThreeAttempts).toEqual({ ok: true, value: true });
  });

  it('evaluates an output mapping of the service task', () => {
    // given
    const payment = node(parseOrderProcess(), 'payment');
    const transactionId = payment.outputMappings[1].source;

    // when
    const paid = transactionId.evaluate(variables({ paymentStatus: 'PAID', transactionId: 'tx-1' }));
    const declined = transactionId.evaluate(variables({ paymentStatus: 'DECLINED', transactionId: 'tx-2' }));

    // then
    expect(paid).toEqual({ ok: true, value: 'tx-1' });
    expect(declined).toEqual({ ok: true, value: null });
  });
});

describe('parsing input forms', () => {
  it('gives the same processes for a string and for UTF-8 bytes, with or without a byte order mark', () => {
    // given
    const bytes = fixture('order-process.bpmn');
    const text = bytes.toString('utf-8');

    // when
    const fromBytes = parseBpmn(bytes, 'order-process.bpmn');
    const fromText = parseBpmn(`\uFEFF${text}`, 'order-process.bpmn');

    // then
    expect(fromText.problems).toEqual([]);
    expect(fromText.processes.map((process) => [...process.elements.keys()])).toEqual(
      fromBytes.processes.map((process) => [...process.elements.keys()]),
    );
  });

  it('accepts an input mapping without a source, which maps null', () => {
    // given a mapping as Camunda's element templates write it
    // when
    const result = parseBpmn(fixture('input-without-source.bpmn'), 'input-without-source.bpmn');

    // then
    expect(result.problems).toEqual([]);
    const [mapping] = result.processes[0].elements.get('task')!.inputMappings;
    expect(mapping.target).toBe('agentContext');
    expect(mapping.source.evaluate(variables({}))).toEqual({ ok: true, value: null });
  });
});
