import { nextTimerSchedule } from '../../behaviors/index.js';
import type { Record, TimerRecordValue } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * TIMER TRIGGER (written by the partition's due-date checker): the timer fires. A timer start event starts an
 * instance; any other timer triggers the element instance that waits for it. A cycle schedules its next firing
 * (for start events and non-interrupting boundary events, which stay subscribed).
 */
export class TimerTriggerProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const timer = context.state.timers.getTimer(command.key);
    if (!timer) {
      context.writers.appendRejection(command, 'NOT_FOUND', `Expected to trigger timer with key '${command.key}', but no such timer was found`);
      return;
    }
    const value = timer.value;
    if (value.dueDate > command.timestamp) {
      const reason = `Expected to trigger timer with key '${command.key}', but it is due at ${value.dueDate} only`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    if (value.elementInstanceKey < 0n) {
      this.triggerStartEvent(command.key, value, command.timestamp, context);
      return;
    }
    const instance = context.state.elementInstances.getInstance(value.elementInstanceKey);
    if (!instance || !context.behaviors.eventTriggers.canTrigger(instance)) {
      const reason = `Expected to trigger timer with key '${command.key}', but its element instance '${value.elementInstanceKey}' is not active`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    context.writers.appendEvent(command.key, 'TIMER', 'TRIGGERED', value);
    context.behaviors.eventTriggers.trigger(instance, value.targetElementId, {});
    const process = context.processes.get(value.processDefinitionKey);
    const event = process.elements.get(value.targetElementId);
    const staysSubscribed = event?.bpmnElementType === 'BOUNDARY_EVENT' || event?.flowScope?.bpmnElementType === 'EVENT_SUB_PROCESS';
    if (event?.timer && staysSubscribed && event.interrupting === false) {
      const next = nextTimerSchedule(event.timer, context.behaviors.variables.lookup(instance.key), value, command.timestamp);
      if (next) context.behaviors.eventSubscriptions.createTimer(instance.key, instance.value, event.id, next);
    }
  }

  private triggerStartEvent(timerKey: bigint, value: TimerRecordValue, nowMs: number, context: ProcessingContext): void {
    context.writers.appendEvent(timerKey, 'TIMER', 'TRIGGERED', value);
    const process = context.state.processes.getProcessByKey(value.processDefinitionKey);
    if (!process) return;
    context.behaviors.eventTriggers.startInstance(process, value.targetElementId, {});
    const event = context.processes.get(value.processDefinitionKey).elements.get(value.targetElementId);
    const next = event?.timer ? nextTimerSchedule(event.timer, () => undefined, value, nowMs) : undefined;
    if (next) context.behaviors.eventSubscriptions.createTimer(-1n, { processInstanceKey: -1n, ...process }, event!.id, next);
  }
}
