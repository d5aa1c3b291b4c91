import { describe, expect, test } from 'vitest';
import { declaredInboundConnectors } from './bpmn-inbound.js';

function processWith(events: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:message id="m-paid" name="payment-received"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>
  <bpmn:message id="m-order" name="order-placed" />
  <bpmn:process id="orders" isExecutable="true">
    ${events}
  </bpmn:process>
</bpmn:definitions>`;
}

const START = `<bpmn:startEvent id="placed">
      <bpmn:extensionElements><zeebe:properties><zeebe:property name="kafka.topic" value="orders" /><zeebe:property name="kafka.variables" value="=value" /></zeebe:properties></bpmn:extensionElements>
      <bpmn:messageEventDefinition messageRef="m-order" />
    </bpmn:startEvent>`;
const CATCH = `<bpmn:subProcess id="sub"><bpmn:intermediateCatchEvent id="paid">
      <bpmn:extensionElements><zeebe:properties>
        <zeebe:property name="kafka.topic" value="payments" /><zeebe:property name="kafka.correlationKey" value="=value.orderId" />
        <zeebe:property name="kafka.timeToLive" value="PT1H" /><zeebe:property name="kafka.fromBeginning" value="false" /><zeebe:property name="other" value="ignored" />
      </zeebe:properties></bpmn:extensionElements>
      <bpmn:messageEventDefinition messageRef="m-paid" />
    </bpmn:intermediateCatchEvent></bpmn:subProcess>`;

describe('BPMN-declared inbound connectors', () => {
  test('message events with kafka.* properties declare publish-message connectors for their message', () => {
    // given / when
    const declared = declaredInboundConnectors(processWith(`${START}${CATCH}`), 'orders');

    // then
    expect(declared.problems).toEqual([]);
    expect(declared.connectors.map(({ config }) => [config.name, config.topic, config.groupId, config.messageName, config.timeToLiveMs, config.fromBeginning])).toEqual([
      ['bpmn:orders:placed', 'orders', 'tributary-bpmn-orders-placed', 'order-placed', 0, true],
      ['bpmn:orders:paid', 'payments', 'tributary-bpmn-orders-paid', 'payment-received', 3_600_000, false],
    ]);
  });

  test('a catch event without correlation key is reported with its element; events without kafka.topic declare nothing', () => {
    // given
    const withoutKey = CATCH.replace('<zeebe:property name="kafka.correlationKey" value="=value.orderId" />', '');
    const withoutTopic = START.replace('<zeebe:property name="kafka.topic" value="orders" />', '');

    // when
    const declared = declaredInboundConnectors(processWith(`${withoutTopic}${withoutKey}`), 'orders');

    // then
    expect(declared.connectors).toEqual([]);
    expect(declared.problems).toEqual([{ path: 'orders.paid.correlationKey', message: 'Required' }]);
  });
});
