import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';
import { EngineHarness } from './engine-harness.js';

/** The harness starts at 2023-11-14T22:13:20Z, a Tuesday. */
const at = (iso: string) => Date.parse(iso);

describe('timer cycles with cron expressions', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('given a timer start event with a cron cycle, then it starts an instance at each matching time', () => {
    // given
    engine.deploy('timer-start-cron.bpmn');
    expect(engine.find('TIMER', 'CREATED').map((record) => record.value.dueDate)).toEqual([at('2023-11-15T09:00:00Z')]);
    // when the first time comes
    engine.advanceTime(at('2023-11-15T09:00:00Z') - engine.nowMs);
    // then an instance started, and the timer is set for the next hour of the office day
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.bpmnElementType === 'PROCESS')).toHaveLength(1);
    expect(engine.find('TIMER', 'CREATED').map((record) => [record.value.dueDate, record.value.repetitions])).toEqual([
      [at('2023-11-15T09:00:00Z'), -1],
      [at('2023-11-15T10:00:00Z'), -1],
    ]);
  });

  it('given a cron timer that fires late, then the next time is after the trigger, not a burst of missed times', () => {
    engine.deploy('timer-start-cron.bpmn');
    // the partition was down from 09:00 to 12:30
    engine.advanceTime(at('2023-11-15T12:30:00Z') - engine.nowMs);
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.bpmnElementType === 'PROCESS')).toHaveLength(1);
    expect(engine.find('TIMER', 'CREATED').at(-1)?.value.dueDate).toBe(at('2023-11-15T13:00:00Z'));
  });

  it('given a non-interrupting cron timer boundary event, then it fires at each matching time while the task goes on', () => {
    engine.deploy('timer-boundary-cron.bpmn');
    const key = engine.createInstance('timer-boundary-cron');
    expect(engine.find('TIMER', 'CREATED')[0].value.dueDate).toBe(at('2023-11-14T22:15:00Z'));
    engine.advanceTime(at('2023-11-14T22:15:00Z') - engine.nowMs);
    engine.advanceTime(15 * 60_000);
    expect(engine.find('TIMER', 'TRIGGERED')).toHaveLength(2);
    expect(engine.elementEvents(key).filter((event) => event === 'reminded:ELEMENT_COMPLETED')).toHaveLength(2);
    expect(engine.elementEvents(key)).not.toContain('work:ELEMENT_TERMINATED');
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    expect(engine.elementEvents(key).at(-1)).toBe('timer-boundary-cron:ELEMENT_COMPLETED');
  });

  it('given a non-interrupting event subprocess with an @daily cycle, then it runs every midnight beside the task', () => {
    engine.deploy('event-subprocess-timer-cron.bpmn');
    const key = engine.createInstance('event-subprocess-timer-cron');
    engine.advanceTime(at('2023-11-15T00:00:00Z') - engine.nowMs);
    engine.advanceTime(86_400_000);
    expect(engine.elementEvents(key).filter((event) => event === 'daily-report:ELEMENT_COMPLETED')).toHaveLength(2);
    expect(engine.find('TIMER', 'CREATED').at(-1)?.value.dueDate).toBe(at('2023-11-17T00:00:00Z'));
  });

  it('replaying the records of cron timers rebuilds the same timers', async () => {
    // given cron timers that fired and were set again
    engine.deploy('timer-start-cron.bpmn', 'timer-boundary-cron.bpmn');
    engine.createInstance('timer-boundary-cron');
    engine.advanceTime(at('2023-11-15T09:00:00Z') - engine.nowMs);
    // when the records are replayed into a fresh engine
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });
    for (const record of engine.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }
    // then the same timers are due at the same times
    const due = (target: Engine) => {
      const timers: unknown[] = [];
      target.state.timers.forEachDueUntil(Number.MAX_SAFE_INTEGER, (key) => {
        timers.push(target.state.timers.getTimer(key));
      });
      return timers;
    };
    expect(due(replayed)).toEqual(due(engine.engine));
    expect(due(engine.engine)).toHaveLength(2);
    await store.close();
    dir.remove();
  });

  it('given an invalid cron expression, then deploying is rejected naming the timer event', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="bad-cron">
      <bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">0 0 25 * * *</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="bad-cron" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
    const response = engine.deployXml('bad-cron.bpmn', xml);
    expect(response?.recordType).toBe('COMMAND_REJECTION');
    expect(response?.rejectionReason).toContain('Element: bad-cron');
    expect(response?.rejectionReason).toContain("hour '25' is out of range 0-23");
  });
});
