import type { TimerRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';
import { bucketOf, visitDue } from './time-buckets.js';

export interface StoredTimer {
  key: bigint;
  value: TimerRecordValue;
}

export interface ReadonlyTimerState {
  getTimer(timerKey: bigint): StoredTimer | undefined;
  /** Timers of an element instance (a catch event, an activity's boundary events, an event-based gateway). */
  forEachTimerOfElement(elementInstanceKey: bigint, visitor: (timer: StoredTimer) => void): void;
  /** Timers of the timer start events of a process definition. */
  forEachStartTimerOfProcess(processDefinitionKey: bigint, visitor: (timer: StoredTimer) => void): void;
  /** Timers due at untilMs, however long ago; return false to stop. */
  forEachDueUntil(untilMs: number, visitor: (timerKey: bigint, dueDateMs: number) => boolean | void): void;
}

/** Timers, with an index by due date (whole seconds) for the partition's timer checker. */
export class TimerState implements ReadonlyTimerState {
  private readonly timers: Column<[bigint], any>;
  private readonly byElement: Column<[bigint, bigint], boolean>;
  private readonly startTimers: Column<[bigint, bigint], boolean>;
  private readonly dueDates: Column<[number, bigint], number>;

  constructor(store: StateStore) {
    this.timers = store.column('timer', 1);
    this.byElement = store.column('timer-of-element', 2);
    this.startTimers = store.column('timer-start-of-process', 2);
    this.dueDates = store.column('timer-due-date', 2);
  }

  getTimer(timerKey: bigint): StoredTimer | undefined {
    return this.timers.get(timerKey);
  }

  forEachTimerOfElement(elementInstanceKey: bigint, visitor: (timer: StoredTimer) => void): void {
    this.visitKeys(this.byElement, elementInstanceKey, visitor);
  }

  forEachStartTimerOfProcess(processDefinitionKey: bigint, visitor: (timer: StoredTimer) => void): void {
    this.visitKeys(this.startTimers, processDefinitionKey, visitor);
  }

  forEachDueUntil(untilMs: number, visitor: (timerKey: bigint, dueDateMs: number) => boolean | void): void {
    visitDue(this.dueDates, untilMs, visitor);
  }

  putTimer(timerKey: bigint, value: TimerRecordValue): void {
    this.timers.put([timerKey], { key: timerKey, value } as any);
    if (value.elementInstanceKey >= 0n) this.byElement.put([value.elementInstanceKey, timerKey], true);
    else this.startTimers.put([value.processDefinitionKey, timerKey], true);
    this.dueDates.put([bucketOf(value.dueDate), timerKey], value.dueDate);
  }

  removeTimer(timerKey: bigint): void {
    const timer = this.getTimer(timerKey);
    if (!timer) return;
    const value = timer.value;
    this.timers.delete(timerKey);
    if (this.byElement.has(value.elementInstanceKey, timerKey)) this.byElement.delete(value.elementInstanceKey, timerKey);
    if (this.startTimers.has(value.processDefinitionKey, timerKey)) this.startTimers.delete(value.processDefinitionKey, timerKey);
    if (this.dueDates.has(bucketOf(value.dueDate), timerKey)) this.dueDates.delete(bucketOf(value.dueDate), timerKey);
  }

  private visitKeys(column: Column<[bigint, bigint], boolean>, prefix: bigint, visitor: (timer: StoredTimer) => void): void {
    const keys: bigint[] = [];
    column.forEachWithPrefix([prefix], (_flag, key) => {
      keys.push(key[1]);
    });
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const timer = this.getTimer(key);
      if (timer) visitor(timer);
    }
  }
}
