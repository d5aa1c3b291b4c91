import type { ReadonlyMessageState, ReadonlyTimerState } from '../../state/domain/index.js';

export interface DueTimerCommand {
  valueType: 'TIMER' | 'MESSAGE';
  intent: 'TRIGGER' | 'EXPIRE';
  key: bigint;
}

/** How long a command written for a due timer counts as in flight before it may be written again. */
const REISSUE_AFTER_MS = 10_000;
/** Bound on the commands one check writes; the rest come in the next check. */
const COMMANDS_PER_CHECK_MAX = 10_000;

/**
 * Finds timers that are due and buffered messages whose time to live ended, for the partition's scheduler to write
 * TIMER TRIGGER and MESSAGE EXPIRE commands. It runs on the leader with the real clock, often (timers fire within
 * tens of milliseconds); the processors check again with the command's timestamp, so a late or duplicate command
 * is harmless. Due dates live in state, so timers survive restarts: the first check after one fires what came due.
 */
export class DueTimerCommands {
  private readonly issuedAtMs = new Map<bigint, number>();

  constructor(
    private readonly timers: ReadonlyTimerState,
    private readonly messages: ReadonlyMessageState,
  ) {}

  collect(nowMs: number): DueTimerCommand[] {
    const due: DueTimerCommand[] = [];
    const visit = (valueType: DueTimerCommand['valueType'], intent: DueTimerCommand['intent']) => (key: bigint) => {
      const issued = this.issuedAtMs.get(key);
      if (issued !== undefined && nowMs - issued < REISSUE_AFTER_MS) return true;
      this.issuedAtMs.set(key, nowMs);
      due.push({ valueType, intent, key });
      return due.length < COMMANDS_PER_CHECK_MAX;
    };
    this.timers.forEachDueUntil(nowMs, visit('TIMER', 'TRIGGER'));
    if (due.length < COMMANDS_PER_CHECK_MAX) this.messages.forEachExpiredUntil(nowMs, visit('MESSAGE', 'EXPIRE'));
    for (const [key, issued] of this.issuedAtMs) if (nowMs - issued >= REISSUE_AFTER_MS) this.issuedAtMs.delete(key);
    return due;
  }
}
