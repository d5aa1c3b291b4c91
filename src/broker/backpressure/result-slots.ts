import type { ProcessingResult } from '../../engine/index.js';
import type { CommandLimiter } from './command-limiter.js';

/** What a partition knows of a processed command when its records are durable (or committed). */
export interface DurableCommand {
  /** When the limiter admitted it; undefined for commands the partition wrote itself (never counted). */
  acceptedAtMs?: number;
  /** The request of a creation awaiting its instance's result; undefined for every other command. */
  awaitingResultRequestId?: number;
}

/** The request a creation awaiting its instance's result answers later; its slot is held until then. */
export function awaitingResultRequestId(command: { intent: string; requestId?: number } | undefined): number | undefined {
  return command?.intent === 'CREATE_WITH_AWAITING_RESULT' ? command.requestId : undefined;
}

/**
 * Settles a partition's back-pressure slots from what its durable commands wrote: a creation awaiting its result
 * keeps its slot (CommandLimiter.hold) until a later command answers its request (the instance completed), its
 * instance is terminated (cancelled: Zeebe never answers such a request, its client times out), or the request
 * times out. One per limiter: a new leadership starts both afresh, and an answer for a request the new limiter
 * never held is ignored.
 */
export class ResultSlots {
  /** Held requests by the instance they await, to free the slot when the instance is cancelled; bounded by the limit. */
  private readonly requestOfInstance = new Map<bigint, number>();
  private readonly instanceOfRequest = new Map<number, bigint>();
  /**
   * Requests that timed out before their creation was durable: their slot is not held when it is. A creation lost in
   * a step-down never becomes durable here, so the oldest are forgotten beyond a bound; forgetting one too early only
   * means its slot is held until its instance ends.
   */
  private readonly timedOut = new Set<number>();

  constructor(readonly limiter: CommandLimiter) {}

  /** A command's records are durable and its responses about to be sent. */
  onDurable(command: DurableCommand, result: ProcessingResult, nowMs: number): void {
    for (const response of result.responses) this.answered(response.requestId, nowMs);
    if (this.requestOfInstance.size > 0) this.releaseTerminated(result);
    const { acceptedAtMs, awaitingResultRequestId: requestId } = command;
    if (acceptedAtMs === undefined) return;
    const instanceKey = requestId === undefined || this.timedOut.delete(requestId) ? undefined : awaitedInstance(requestId, result);
    if (instanceKey === undefined) {
      this.limiter.onCompleted(nowMs - acceptedAtMs, nowMs);
      return;
    }
    this.limiter.hold(requestId!, acceptedAtMs);
    this.requestOfInstance.set(instanceKey, requestId!);
    this.instanceOfRequest.set(requestId!, instanceKey);
  }

  /**
   * The request of a creation awaiting its result timed out (DEADLINE_EXCEEDED): its slot is freed now if held, or
   * not held once the creation is durable. The timeout is a latency sample: the partition was too slow.
   */
  onTimedOut(requestId: number, nowMs: number): void {
    if (this.answered(requestId, nowMs)) return;
    this.timedOut.add(requestId);
    if (this.timedOut.size > TIMED_OUT_REMEMBERED_MAX) this.timedOut.delete(this.timedOut.values().next().value!);
  }

  private answered(requestId: number, nowMs: number): boolean {
    if (!this.limiter.onAnswered(requestId, nowMs)) return false;
    this.forget(requestId);
    return true;
  }

  private releaseTerminated(result: ProcessingResult): void {
    for (const record of result.records) {
      if (record.valueType !== 'PROCESS_INSTANCE' || record.intent !== 'ELEMENT_TERMINATED') continue;
      const requestId = this.requestOfInstance.get(record.key);
      if (requestId === undefined) continue;
      this.limiter.release(requestId);
      this.forget(requestId);
    }
  }

  private forget(requestId: number): void {
    const instanceKey = this.instanceOfRequest.get(requestId);
    if (instanceKey === undefined) return;
    this.instanceOfRequest.delete(requestId);
    this.requestOfInstance.delete(instanceKey);
  }
}

const TIMED_OUT_REMEMBERED_MAX = 4096;

/**
 * The instance a creation awaits, when its request is still unanswered: not rejected, and the instance did not
 * complete within the creation's own batch.
 */
function awaitedInstance(requestId: number, result: ProcessingResult): bigint | undefined {
  if (result.responses.some((response) => response.requestId === requestId)) return undefined;
  const created = result.records.find((record) => record.valueType === 'PROCESS_INSTANCE_CREATION' && record.intent === 'CREATED' && record.recordType === 'EVENT');
  return created?.key;
}
