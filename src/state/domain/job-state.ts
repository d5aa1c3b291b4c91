import type { JobRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export type JobLifecycle = 'ACTIVATABLE' | 'ACTIVATED' | 'FAILED' | 'ERROR_THROWN';

export interface StoredJob {
  state: JobLifecycle;
  value: JobRecordValue;
}

export interface ReadonlyJobState {
  getJob(jobKey: bigint): StoredJob | undefined;
  /** Activatable jobs of a type, oldest first; return false from the visitor to stop. */
  forEachActivatable(type: string, visitor: (jobKey: bigint, job: StoredJob) => boolean | void): void;
  /** Activated jobs whose deadline lies in a whole second <= untilMs; return false to stop. */
  forEachDeadlineUntil(fromMs: number, untilMs: number, visitor: (jobKey: bigint, deadlineMs: number) => boolean | void): void;
  /** Failed jobs whose retry back-off ends in a whole second <= untilMs. */
  forEachBackoffUntil(fromMs: number, untilMs: number, visitor: (jobKey: bigint, recurAtMs: number) => boolean | void): void;
}

/**
 * Jobs, with two time indexes bucketed by whole seconds (deadlines of activated jobs, ends of retry back-offs), so a
 * checker visits only the buckets that have come due instead of every job.
 */
export class JobState implements ReadonlyJobState {
  private readonly jobs: Column<[bigint], any>;
  private readonly activatable: Column<[string, bigint], boolean>;
  private readonly deadlines: Column<[number, bigint], number>;
  private readonly backoffs: Column<[number, bigint], number>;

  constructor(store: StateStore) {
    this.jobs = store.column('job', 1);
    this.activatable = store.column('job-activatable', 2);
    this.deadlines = store.column('job-deadline', 2);
    this.backoffs = store.column('job-backoff', 2);
  }

  getJob(jobKey: bigint): StoredJob | undefined {
    return this.jobs.get(jobKey);
  }

  forEachActivatable(type: string, visitor: (jobKey: bigint, job: StoredJob) => boolean | void): void {
    // Visited directly, so an activation of a few jobs reads a few entries, not the whole queue of its type.
    this.activatable.forEachWithPrefix([type], (_flag, key) => {
      const job = this.getJob(key[1]);
      return job ? visitor(key[1], job) : true;
    });
  }

  forEachDeadlineUntil(fromMs: number, untilMs: number, visitor: (jobKey: bigint, deadlineMs: number) => boolean | void): void {
    visitBuckets(this.deadlines, fromMs, untilMs, visitor);
  }

  forEachBackoffUntil(fromMs: number, untilMs: number, visitor: (jobKey: bigint, recurAtMs: number) => boolean | void): void {
    visitBuckets(this.backoffs, fromMs, untilMs, visitor);
  }

  /** Stores the job in a new lifecycle state and keeps the indexes in line with it. */
  putJob(jobKey: bigint, state: JobLifecycle, value: JobRecordValue): void {
    this.removeFromIndexes(jobKey);
    this.jobs.put([jobKey], { state, value } as any);
    if (state === 'ACTIVATABLE') this.activatable.put([value.type, jobKey], true);
    if (state === 'ACTIVATED') this.deadlines.put([bucketOf(value.deadline), jobKey], value.deadline);
    if (state === 'FAILED' && value.retries > 0 && value.recurringTime > 0) {
      this.backoffs.put([bucketOf(value.recurringTime), jobKey], value.recurringTime);
    }
  }

  deleteJob(jobKey: bigint): void {
    this.removeFromIndexes(jobKey);
    if (this.jobs.has(jobKey)) this.jobs.delete(jobKey);
  }

  private removeFromIndexes(jobKey: bigint): void {
    const job = this.getJob(jobKey);
    if (!job) return;
    const value = job.value;
    if (this.activatable.has(value.type, jobKey)) this.activatable.delete(value.type, jobKey);
    if (this.deadlines.has(bucketOf(value.deadline), jobKey)) this.deadlines.delete(bucketOf(value.deadline), jobKey);
    if (this.backoffs.has(bucketOf(value.recurringTime), jobKey)) this.backoffs.delete(bucketOf(value.recurringTime), jobKey);
  }
}

function bucketOf(timeMs: number): number {
  return Math.floor(timeMs / 1000);
}

/** Bound on the buckets one check visits: a broker that was down for days catches up in several checks. */
const BUCKETS_PER_CHECK_MAX = 100_000;

function visitBuckets(
  column: Column<[number, bigint], number>,
  fromMs: number,
  untilMs: number,
  visitor: (jobKey: bigint, timeMs: number) => boolean | void,
): void {
  const last = bucketOf(untilMs);
  const first = Math.max(bucketOf(fromMs), last - BUCKETS_PER_CHECK_MAX);
  // One range read over the due buckets: probing bucket by bucket would read RocksDB once per second of history.
  column.forEachInRange([first], [last + 1], (timeMs, key) => {
    if (timeMs > untilMs) return true;
    return visitor(key[1], timeMs);
  });
}
