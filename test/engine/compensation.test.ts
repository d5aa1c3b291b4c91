import { describe, afterEach, beforeEach, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';
import { EngineHarness } from './engine-harness.js';

describe('compensation events', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  function complete(type: string): void {
    const jobKey = (engine.activateJobs(type).value as any).jobKeys[0];
    if (jobKey === undefined) throw new Error(`no job of type '${type}'`);
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
  }

  it('given a completed activity with a handler, when a compensation throw event is reached, then the handler runs and the flow goes on after it', () => {
    // given
    engine.deploy('compensation-throw.bpmn');
    const key = engine.createInstance('compensation-throw');
    // when
    complete('book');
    // then the throw event waits for the handler
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'CREATED').map((record) => record.value)).toEqual([
      expect.objectContaining({ compensableActivityId: 'book', compensationHandlerId: 'undo-book', compensableActivityScopeKey: key }),
    ]);
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'TRIGGERED').map((record) => record.value.throwEventId)).toEqual(['compensate']);
    let events = engine.elementEvents(key);
    expect(events).toContain('compensate:ELEMENT_ACTIVATED');
    expect(events).toContain('undo-book:ELEMENT_ACTIVATED');
    expect(events).not.toContain('compensate:ELEMENT_COMPLETED');
    complete('undo-book');
    events = engine.elementEvents(key);
    expect(events.indexOf('compensate:ELEMENT_COMPLETED')).toBeGreaterThan(events.indexOf('undo-book:ELEMENT_COMPLETED'));
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'COMPLETED')).toHaveLength(1);
    expect(events.at(-1)).toBe('compensation-throw:ELEMENT_COMPLETED');
  });

  it('given a compensation end event with an activityRef, then only the handler of that activity runs', () => {
    engine.deploy('compensation-end-activity-ref.bpmn');
    const key = engine.createInstance('compensation-end-activity-ref');
    complete('book');
    complete('charge');
    const events = engine.elementEvents(key);
    expect(events).toContain('undo-book:ELEMENT_ACTIVATED');
    expect(events).not.toContain('undo-charge:ELEMENT_ACTIVATING');
    complete('undo-book');
    expect(engine.elementEvents(key).at(-1)).toBe('compensation-end-activity-ref:ELEMENT_COMPLETED');
    // what was not compensated can no longer be once the instance completed
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'DELETED').map((record) => record.value.compensableActivityId)).toEqual(['charge']);
  });

  it('given a completed subprocess with a compensable activity, when compensation is thrown after it, then the inner handler runs', () => {
    engine.deploy('compensation-subprocess.bpmn');
    const key = engine.createInstance('compensation-subprocess');
    complete('book');
    const events = engine.elementEvents(key);
    expect(events).toContain('sub:ELEMENT_COMPLETED');
    expect(events).toContain('undo-book:ELEMENT_ACTIVATED');
    complete('undo-book');
    expect(engine.elementEvents(key).at(-1)).toBe('compensation-subprocess:ELEMENT_COMPLETED');
  });

  it('given an error event subprocess that compensates, then the handlers of the interrupted scope run inside it', () => {
    engine.deploy('compensation-event-subprocess-error.bpmn');
    const key = engine.createInstance('compensation-event-subprocess-error');
    complete('book');
    const jobKey = (engine.activateJobs('pay').value as any).jobKeys[0];
    engine.write('JOB', 'THROW_ERROR', { errorCode: 'PAYMENT_FAILED', errorMessage: '', variables: {} }, jobKey);
    const handler = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'undo-book');
    const eventSubProcess = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'on-payment-failed');
    expect(handler.map((record) => record.value.flowScopeKey)).toEqual([eventSubProcess[0].key]);
    complete('undo-book');
    const events = engine.elementEvents(key);
    expect(events).toContain('undo-all:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('compensation-event-subprocess-error:ELEMENT_COMPLETED');
  });

  it('given no completed activity yet, when compensation is thrown, then nothing is compensated and the event passes through', () => {
    engine.deploy('compensation-nothing-completed.bpmn');
    const key = engine.createInstance('compensation-nothing-completed');
    expect(engine.elementEvents(key)).toContain('compensate:ELEMENT_COMPLETED');
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'TRIGGERED')).toHaveLength(0);
    complete('book');
    expect(engine.elementEvents(key)).not.toContain('undo-book:ELEMENT_ACTIVATING');
    expect(engine.elementEvents(key).at(-1)).toBe('compensation-nothing-completed:ELEMENT_COMPLETED');
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
  });

  it('given a multi-instance activity with a handler, when compensation is thrown, then the handler runs once per completed instance', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="mi" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="book" />
    <bpmn:serviceTask id="book">
      <bpmn:extensionElements><zeebe:taskDefinition type="book" /></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item" /></bpmn:extensionElements>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="book-compensation" attachedToRef="book"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>
    <bpmn:serviceTask id="undo-book" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="undo-book" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:association id="a" sourceRef="book-compensation" targetRef="undo-book" />
    <bpmn:sequenceFlow id="f2" sourceRef="book" targetRef="compensate" />
    <bpmn:endEvent id="compensate"><bpmn:compensateEventDefinition /></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>`;
    expect(engine.deployXml('mi-compensation.bpmn', xml)?.intent).toBe('CREATED');
    const key = engine.createInstance('mi', { items: [1, 2] });
    const bookJobs = (engine.activateJobs('book').value as any).jobKeys;
    for (const jobKey of bookJobs) engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    expect(engine.find('COMPENSATION_SUBSCRIPTION', 'TRIGGERED')).toHaveLength(2);
    const [first, second] = (engine.activateJobs('undo-book').value as any).jobKeys;
    engine.write('JOB', 'COMPLETE', { variables: {} }, first);
    expect(engine.elementEvents(key)).not.toContain('compensate:ELEMENT_COMPLETED');
    engine.write('JOB', 'COMPLETE', { variables: {} }, second);
    expect(engine.elementEvents(key).at(-1)).toBe('mi:ELEMENT_COMPLETED');
  });

  it('given invalid compensation models, then deploying is rejected naming each element', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:boundaryEvent id="no-handler" attachedToRef="work"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>
    <bpmn:serviceTask id="lonely-handler" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="undo" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:compensateEventDefinition activityRef="start" /></bpmn:endEvent>
    <bpmn:subProcess id="on-compensation" triggeredByEvent="true">
      <bpmn:startEvent id="compensation-start"><bpmn:compensateEventDefinition /></bpmn:startEvent>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>`;
    const response = engine.deployXml('bad-compensation.bpmn', xml);
    expect(response?.recordType).toBe('COMMAND_REJECTION');
    const reason = response?.rejectionReason ?? '';
    expect(reason).toContain('Element: no-handler');
    expect(reason).toContain('Compensation boundary events must have exactly one association to a compensation handler');
    expect(reason).toContain('Element: lonely-handler');
    expect(reason).toContain('Compensation handlers must be associated with a compensation boundary event');
    expect(reason).toContain("The compensation activity 'start' must be an activity");
    expect(reason).toContain('Element: compensation-start');
    expect(reason).toContain("Event definition of type 'bpmn:CompensateEventDefinition' is not supported on elements of type 'bpmn:StartEvent'");
  });

  it('replaying the records of a compensation rebuilds the same compensation subscriptions', async () => {
    // given a compensated instance and one whose activity can still be compensated
    engine.deploy('compensation-throw.bpmn', 'compensation-end-activity-ref.bpmn');
    const compensated = engine.createInstance('compensation-throw');
    complete('book');
    const open = engine.createInstance('compensation-end-activity-ref');
    complete('book');
    // when the records are replayed into a fresh engine
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });
    for (const record of engine.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }
    // then both have the same subscriptions
    const dump = (target: Engine) =>
      [compensated, open].map((key) => {
        const found: unknown[] = [];
        target.state.compensationSubscriptions.forEachSubscription(key, (subscription) => found.push(subscription));
        return found;
      });
    expect(dump(replayed)).toEqual(dump(engine.engine));
    expect(dump(engine.engine).map((subscriptions) => subscriptions.length)).toEqual([1, 1]);
    await store.close();
    dir.remove();
  });
});
