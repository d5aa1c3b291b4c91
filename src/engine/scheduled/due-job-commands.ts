import type { ReadonlyJobState } from '../../state/domain/index.js';

export interface DueCommand {
  key: bigint;
  intent: 'TIME_OUT' | 'RECUR_AFTER_BACKOFF';
}

/** How long a command written for a due job counts as in flight before it may be written again. */
const REISSUE_AFTER_MS = 10_000;
/** Bound on the commands one check writes; the rest come in the next check. */
const COMMANDS_PER_CHECK_MAX = 10_000;

/**
 * Finds jobs whose activation deadline passed or whose retry back-off ended, for the partition's scheduler to write
 * JOB TIME_OUT and JOB RECUR_AFTER_BACKOFF commands. It runs on the leader with the real clock; the processors
 * check again with the command's timestamp, so a late or duplicate command is harmless.
 */
export class DueJobCommands {
  private readonly issuedAtMs = new Map<bigint, number>();
  private checkedUntilMs = 0;

  constructor(private readonly jobs: ReadonlyJobState) {}

  collect(nowMs: number): DueCommand[] {
    const due: DueCommand[] = [];
    const fromMs = this.checkedUntilMs === 0 ? 0 : this.checkedUntilMs - REISSUE_AFTER_MS;
    const visit = (intent: DueCommand['intent']) => (key: bigint) => {
      const issued = this.issuedAtMs.get(key);
      if (issued !== undefined && nowMs - issued < REISSUE_AFTER_MS) return true;
      this.issuedAtMs.set(key, nowMs);
      due.push({ key, intent });
      return due.length < COMMANDS_PER_CHECK_MAX;
    };
    this.jobs.forEachDeadlineUntil(fromMs, nowMs, visit('TIME_OUT'));
    this.jobs.forEachBackoffUntil(fromMs, nowMs, visit('RECUR_AFTER_BACKOFF'));
    if (due.length < COMMANDS_PER_CHECK_MAX) this.checkedUntilMs = nowMs;
    for (const [key, issued] of this.issuedAtMs) if (nowMs - issued >= REISSUE_AFTER_MS) this.issuedAtMs.delete(key);
    return due;
  }
}
