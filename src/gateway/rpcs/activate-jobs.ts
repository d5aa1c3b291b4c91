import { TributaryError } from '../../errors.js';
import { NO_KEY, partitionIdOf, type JobBatchRecordValue } from '../../protocol/index.js';
import { activatedJobs } from '../activated-job.js';
import { asRecordValue, valueOf, type GatewayContext } from '../gateway-context.js';
import { CommandRejectedError, invalidArgument, toStatus } from '../grpc-errors.js';
import type { ActivateJobsRequest, ActivateJobsResponse } from '../messages.js';
import { durationMs, tenantIdsOrDefault, TIMER_DELAY_MAX_MS } from '../request-fields.js';
import type { ServerStreamCall } from '../transport/server-call.js';

type ActivateJobsCall = ServerStreamCall<ActivateJobsRequest, ActivateJobsResponse>;

/**
 * How many ActivateJobs requests may be open at once before new ones stop long-polling: past it, a request that
 * finds no jobs ends empty at once (the client polls again later) instead of holding memory and a timer.
 */
export const OPEN_ACTIVATIONS_MAX = 10_000;

/**
 * How often a new request retries at once when jobs of its type were announced while it was activating (the round
 * may have missed them). Past this bound it waits in the queue like any other request.
 */
const RETRIES_ON_NOTIFICATION_MAX = 3;

/** One ActivateJobs call from its arrival to its end. */
interface Activation {
  readonly call: ActivateJobsCall;
  readonly queue: JobTypeQueue;
  readonly type: string;
  readonly worker: string;
  readonly jobTimeoutMs: number;
  readonly fetchVariables: string[];
  readonly tenantIds: string[];
  readonly maxJobsToActivate: number;
  readonly longPolling: boolean;
  activatedCount: number;
  /** activating: in a round of JOB_BATCH commands; waiting: queued for a notification; done: answered or cancelled. */
  state: 'activating' | 'waiting' | 'done';
  /** The long polling timeout passed while the activation was in a round; it ends when the round does. */
  expired: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** The long polling state of one job type. */
interface JobTypeQueue {
  readonly type: string;
  /** Requests waiting for jobs, oldest first; the oldest is always served first, so none starves. */
  readonly waiting: Activation[];
  /** Requests of this type in a round outside the queue (new requests). */
  activating: number;
  /** How many job-available notifications arrived; a request compares it before and after a round. */
  notifications: number;
  draining: boolean;
}

type RoundOutcome = 'activated' | 'empty' | 'finished';

/**
 * ActivateJobs -> JOB_BATCH ACTIVATE on each partition in turn until maxJobsToActivate jobs are activated; each
 * ACTIVATED batch is written to the stream as it arrives. When no partition has jobs, the request long-polls: it
 * waits in its type's FIFO queue until the brokers announce jobs of the type, then the queue is served oldest first,
 * until a request finds nothing. The request ends empty when its long polling timeout passes (requestTimeout; 0 means
 * the gateway's default, negative disables long polling).
 */
export class ActivateJobsHandler {
  private readonly queues = new Map<string, JobTypeQueue>();
  private readonly activations = new Set<Activation>();
  private readonly unsubscribe: () => void;
  private partitionCursor = 0;
  private closed = false;

  constructor(private readonly context: GatewayContext) {
    this.unsubscribe = context.broker.onJobsAvailable((type) => this.onJobsAvailable(type));
  }

  readonly handle = (call: ActivateJobsCall): void => {
    let activation: Activation;
    try {
      activation = this.accept(call);
    } catch (error) {
      call.fail(toStatus(error, 'ActivateJobs', this.context.logger));
      return;
    }
    void this.activateNew(activation);
  };

  /** Ends every waiting request (empty) and lets the ones in a round end after it; the gateway is stopping. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const activation of this.activations) {
      if (activation.state === 'waiting') this.settle(activation);
      else activation.expired = true;
    }
  }

  private accept(call: ActivateJobsCall): Activation {
    const request = call.request;
    if (request.type.length === 0) {
      throw invalidArgument("Expected to activate jobs of a type, but 'type' is empty", { field: 'type' });
    }
    if (request.maxJobsToActivate < 1) {
      throw invalidArgument(`Expected 'maxJobsToActivate' to be at least 1, but got ${request.maxJobsToActivate}`, {
        field: 'maxJobsToActivate',
      });
    }
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', 'The gateway is shutting down');
    const requestTimeoutMs = durationMs(request.requestTimeout, 'requestTimeout');
    const longPollingMs = Math.min(requestTimeoutMs === 0 ? this.context.longPollingTimeoutDefaultMs : requestTimeoutMs, TIMER_DELAY_MAX_MS);
    const jobTimeoutMs = durationMs(request.timeout, 'timeout');
    const activation: Activation = {
      call,
      queue: this.queueFor(request.type),
      type: request.type,
      worker: request.worker,
      jobTimeoutMs,
      fetchVariables: request.fetchVariable,
      tenantIds: tenantIdsOrDefault(request.tenantIds),
      maxJobsToActivate: request.maxJobsToActivate,
      longPolling: longPollingMs > 0,
      activatedCount: 0,
      state: 'activating',
      expired: false,
      timer: undefined,
    };
    if (activation.longPolling) activation.timer = setTimeout(() => this.expire(activation), longPollingMs);
    call.onCancelled(() => this.settle(activation));
    this.activations.add(activation);
    return activation;
  }

  /** A new request tries every partition at once; only if that finds nothing does it join the queue. */
  private async activateNew(activation: Activation): Promise<void> {
    const queue = activation.queue;
    queue.activating++;
    let outcome: RoundOutcome = 'empty';
    let missedNotifications = false;
    try {
      for (let attempt = 0; attempt <= RETRIES_ON_NOTIFICATION_MAX; attempt++) {
        const notifications = queue.notifications;
        outcome = await this.activateRound(activation);
        missedNotifications = queue.notifications !== notifications;
        if (outcome !== 'empty' || !missedNotifications || activation.expired) break;
      }
    } catch (error) {
      this.settle(activation, error);
      outcome = 'finished';
    } finally {
      queue.activating--;
    }
    if (outcome === 'empty' && this.mayWait(activation)) {
      activation.state = 'waiting';
      queue.waiting.push(activation);
      if (missedNotifications) this.scheduleDrain(queue);
      return;
    }
    this.settle(activation);
    this.releaseIfIdle(queue);
  }

  private onJobsAvailable(type: string): void {
    const queue = this.queues.get(type);
    if (queue === undefined) return;
    queue.notifications++;
    this.scheduleDrain(queue);
  }

  private scheduleDrain(queue: JobTypeQueue): void {
    if (queue.draining || queue.waiting.length === 0) return;
    queue.draining = true;
    // Deferred so the broker's notification never re-enters the broker client with a command.
    queueMicrotask(() => void this.drain(queue));
  }

  /** Serves the waiting requests oldest first, until one finds no jobs and no newer notification arrived. */
  private async drain(queue: JobTypeQueue): Promise<void> {
    try {
      while (queue.waiting.length > 0 && !this.closed) {
        const notifications = queue.notifications;
        const activation = queue.waiting.shift() as Activation;
        activation.state = 'activating';
        let outcome: RoundOutcome;
        try {
          outcome = await this.activateRound(activation);
        } catch (error) {
          this.settle(activation, error);
          outcome = 'finished';
        }
        if (outcome !== 'empty') {
          this.settle(activation);
          continue;
        }
        if (this.mayWait(activation)) {
          activation.state = 'waiting';
          queue.waiting.unshift(activation);
        } else {
          this.settle(activation);
        }
        if (queue.notifications === notifications) break;
      }
    } finally {
      queue.draining = false;
      this.releaseIfIdle(queue);
    }
  }

  /** One JOB_BATCH ACTIVATE per partition, starting at a rotating partition, until enough jobs are activated. */
  private async activateRound(activation: Activation): Promise<RoundOutcome> {
    const partitionIds = this.context.broker.partitionIds();
    const count = partitionIds.length;
    if (count === 0) throw new TributaryError('PARTITION_UNAVAILABLE', 'Expected partitions to activate jobs on, but the gateway knows none');
    const start = this.partitionCursor;
    this.partitionCursor = (start + 1) % count;
    let failures = 0;
    let firstFailure: unknown;
    for (let i = 0; i < count && activation.activatedCount < activation.maxJobsToActivate; i++) {
      if (activation.state === 'done') return 'finished';
      const value = batchCommandValue(activation);
      let record;
      try {
        record = await this.context.broker.sendCommand(
          partitionIds[(start + i) % count],
          { valueType: 'JOB_BATCH', intent: 'ACTIVATE', key: NO_KEY, value: asRecordValue(value) },
          { timeoutMs: this.context.requestTimeoutDefaultMs },
        );
      } catch (error) {
        // One unavailable or overloaded partition must not fail the request while others may have jobs.
        failures++;
        firstFailure ??= error;
        continue;
      }
      if (record.recordType === 'COMMAND_REJECTION') {
        this.settle(activation, new CommandRejectedError(record));
        return 'finished';
      }
      this.deliver(activation, valueOf<JobBatchRecordValue>(record));
    }
    if (activation.activatedCount > 0) return 'activated';
    if (failures === count) {
      this.settle(activation, firstFailure);
      return 'finished';
    }
    return activation.state === 'done' ? 'finished' : 'empty';
  }

  private deliver(activation: Activation, batch: JobBatchRecordValue): void {
    const jobs = activatedJobs(batch);
    if (jobs.length === 0) return;
    activation.activatedCount += jobs.length;
    if (activation.state !== 'done' && !activation.call.cancelled) {
      activation.call.write({ jobs });
      return;
    }
    // The client went away while its jobs were being activated: give them back at once (JOB YIELD) instead of
    // leaving them locked until their timeout, so the next worker of the type gets them.
    for (const jobKey of batch.jobKeys ?? []) this.yieldJob(jobKey);
  }

  private yieldJob(jobKey: bigint): void {
    const command = { valueType: 'JOB' as const, intent: 'YIELD' as const, key: jobKey, value: {} };
    this.context.broker.sendCommand(partitionIdOf(jobKey), command).catch(() => {
      // The job's activation times out instead, and it becomes activatable then.
    });
  }

  private mayWait(activation: Activation): boolean {
    return (
      activation.longPolling &&
      !activation.expired &&
      !this.closed &&
      activation.state === 'activating' &&
      this.activations.size <= OPEN_ACTIVATIONS_MAX
    );
  }

  private expire(activation: Activation): void {
    activation.timer = undefined;
    if (activation.state === 'waiting') this.settle(activation);
    else activation.expired = true;
  }

  /** Ends the call, with the error's status when there is one, and forgets the activation. Idempotent. */
  private settle(activation: Activation, error?: unknown): void {
    if (activation.state === 'done') return;
    if (activation.state === 'waiting') {
      const index = activation.queue.waiting.indexOf(activation);
      if (index >= 0) activation.queue.waiting.splice(index, 1);
    }
    activation.state = 'done';
    clearTimeout(activation.timer);
    this.activations.delete(activation);
    this.releaseIfIdle(activation.queue);
    const call = activation.call;
    if (call.cancelled) return;
    if (error === undefined) call.end();
    else call.fail(toStatus(error, 'ActivateJobs', this.context.logger));
  }

  private queueFor(type: string): JobTypeQueue {
    let queue = this.queues.get(type);
    if (queue === undefined) {
      queue = { type, waiting: [], activating: 0, notifications: 0, draining: false };
      this.queues.set(type, queue);
    }
    return queue;
  }

  /** Drops the state of a type nobody waits for, so the map stays as small as the set of types being polled. */
  private releaseIfIdle(queue: JobTypeQueue): void {
    if (queue.waiting.length === 0 && queue.activating === 0 && !queue.draining && this.queues.get(queue.type) === queue) {
      this.queues.delete(queue.type);
    }
  }
}

function batchCommandValue(activation: Activation): JobBatchRecordValue {
  return {
    type: activation.type,
    worker: activation.worker,
    timeout: activation.jobTimeoutMs,
    maxJobsToActivate: activation.maxJobsToActivate - activation.activatedCount,
    jobKeys: [],
    jobs: [],
    variables: activation.fetchVariables,
    truncated: false,
    tenantIds: activation.tenantIds,
  };
}
