import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';
import { EngineHarness } from './engine-harness.js';

/** Everything the engine keeps, in a comparable form. */
function dumpState(engine: Engine, keyCount = 200): unknown {
  const state = engine.state;
  const keys = [...Array(keyCount).keys()].map((i) => (1n << 51n) + BigInt(i));
  const collect = <T>(visit: (visitor: (item: T) => void) => void): T[] => {
    const items: T[] = [];
    visit((item) => items.push(item));
    return items;
  };
  return {
    jobs: keys.map((key) => state.jobs.getJob(key)),
    instances: keys.map((key) => state.elementInstances.getInstance(key)),
    messages: keys.map((key) => state.messages.getMessage(key)),
    timers: keys.map((key) => state.timers.getTimer(key)),
    triggers: keys.map((key) => state.eventTriggers.getTrigger(key)),
    activeByMessage: keys.map((key) => state.messages.getCorrelationKeyOfInstance(key)),
    processSubscriptions: keys.map((key) => collect((visit) => state.subscriptions.forEachProcessMessageSubscription(key, visit))),
    startTimers: keys.map((key) => collect((visit) => state.timers.forEachStartTimerOfProcess(key, visit))),
    messageSubscriptions: ['o-1', 'o-2', 'o-3', 'o-4'].map((correlationKey) =>
      ['payment-received', 'cancel'].map((name) => collect((visit) => state.subscriptions.forEachMessageSubscription('<default>', name, correlationKey, visit))),
    ),
    startSubscriptions: collect((visit) => state.subscriptions.forEachMessageStartSubscription('<default>', 'order-placed', visit)),
    signalSubscriptions: keys.map((key) => collect((visit) => state.signalSubscriptions.forEachSubscriptionOfElement(key, visit))),
    signalStarts: keys.map((key) => collect((visit) => state.signalSubscriptions.forEachStartSubscriptionOfProcess(key, visit))),
    due: collect<bigint>((visit) => state.timers.forEachDueUntil(Number.MAX_SAFE_INTEGER, (key) => visit(key))),
    lastProcessed: state.lastProcessedPosition,
    nextKey: state.keys.nextKey(),
  };
}

describe('replay', () => {
  it('replaying the written records rebuilds exactly the state that processing built', async () => {
    // given a history with completions, failures, incidents and cancellations
    const harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn', 'parallel.bpmn');
    const a = harness.createInstance('one-task', { n: 1 });
    harness.createInstance('parallel');
    harness.createInstance('one-task', { n: 2 });
    const batch = harness.activateJobs('work', 1).value as any;
    harness.write('JOB', 'FAIL', { retries: 0, errorMessage: 'x' }, batch.jobKeys[0]);
    harness.write('PROCESS_INSTANCE', 'CANCEL', {}, a);
    const jobA = (harness.activateJobs('a').value as any).jobKeys[0];
    harness.write('JOB', 'COMPLETE', { variables: { done: 'a' } }, jobA);
    // when the records are replayed into a fresh engine
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });
    for (const record of harness.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }
    // then both states are the same
    expect(dumpState(replayed)).toEqual(dumpState(harness.engine));
    await store.close();
    dir.remove();
    await harness.close();
  });

  it('replay rebuilds messages, subscriptions, timers and event triggers', async () => {
    // given a history with every kind of event subscription, some triggered, some still open
    const harness = await EngineHarness.create();
    harness.deploy('message-catch.bpmn', 'message-boundary-non-interrupting.bpmn', 'timer-boundary-interrupting.bpmn');
    harness.deploy('message-start.bpmn', 'timer-start-cycle.bpmn', 'event-based-gateway.bpmn', 'error-end-subprocess.bpmn');
    harness.deploy('signal-events.bpmn', 'signal-start-and-throw.bpmn', 'event-subprocess-message-non-interrupting.bpmn', 'call-activity.bpmn', 'called-child.bpmn');
    harness.createInstance('signal-events');
    harness.createInstance('signal-events');
    harness.write('SIGNAL', 'BROADCAST', { signalName: 'go', variables: {}, tenantId: '<default>' });
    harness.createInstance('event-subprocess-message-non-interrupting', { orderId: 'o-4' });
    harness.createInstance('call-activity', { childId: 'called-child' });
    harness.deploy('multi-instance-parallel.bpmn');
    harness.createInstance('multi-instance-parallel', { items: [1, 2, 3] });
    const packBatch = harness.activateJobs('pack', 1).value as any;
    harness.write('JOB', 'COMPLETE', { variables: { packed: 'x' } }, packBatch.jobKeys[0]);
    harness.createInstance('message-catch', { orderId: 'o-1' });
    harness.createInstance('message-catch', { orderId: 'o-2' });
    harness.publishMessage('payment-received', 'o-1', { variables: { paid: true } });
    harness.publishMessage('payment-received', 'o-3', { timeToLive: 60_000 });
    harness.createInstance('message-boundary-non-interrupting', { orderId: 'o-4' });
    harness.publishMessage('cancel', 'o-4');
    harness.createInstance('timer-boundary-interrupting');
    harness.createInstance('event-based-gateway', { orderId: 'o-2' });
    harness.createInstance('error-end-subprocess');
    harness.publishMessage('order-placed', 'customer-1');
    harness.advanceTime(1_000);
    // when the records are replayed into a fresh engine
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });
    for (const record of harness.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }
    // then both states are the same
    expect(dumpState(replayed, 400)).toEqual(dumpState(harness.engine, 400));
    await store.close();
    dir.remove();
    await harness.close();
  });
});
