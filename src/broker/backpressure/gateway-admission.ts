/**
 * The gateway's early refusal: once a partition refused a command with RESOURCE_EXHAUSTED, the gateway refuses the
 * partition's next commands itself, without sending them, until the partition has likely freed a slot. Under
 * overload most commands are refused; answering those at once, on the gateway, spares the partition's thread the
 * round trip and the gateway the forwarding, so the commands the partition did accept keep their latency.
 *
 * The gateway's picture is approximate: it counts the answers of commands that took a slot (each frees one), and
 * lets that many through; slots freed unseen (a cancelled instance, a timeout, another gateway's command) are found
 * by the probe, since no refusal lasts longer than `probeIntervalMs` after the partition's last one. Commands the
 * partition always accepts are never refused here.
 */
export class GatewayAdmission {
  private readonly partitions = new Map<number, PartitionAdmission>();

  constructor(private readonly probeIntervalMs: number = GATEWAY_PROBE_INTERVAL_DEFAULT_MS) {}

  /** Whether to send a command that takes a slot to the partition now (false: refuse it with RESOURCE_EXHAUSTED). */
  admit(partitionId: number, nowMs: number): boolean {
    const state = this.partitions.get(partitionId);
    if (state === undefined || nowMs - state.refusedAtMs >= this.probeIntervalMs) return true;
    if (state.credits > 0) {
      state.credits--;
      return true;
    }
    state.refusedHere++;
    return false;
  }

  /** The partition refused a command with RESOURCE_EXHAUSTED: it has its limit in flight. */
  onRefused(partitionId: number, nowMs: number): void {
    const state = this.stateOf(partitionId);
    state.refusedAtMs = nowMs;
    state.credits = 0;
  }

  /** A command that took a slot was answered (a response, a rejection, or its timeout): the slot is free again. */
  onAnswered(partitionId: number): void {
    const state = this.partitions.get(partitionId);
    if (state !== undefined && state.credits < CREDITS_MAX) state.credits++;
  }

  /** Commands refused here, without reaching the partition, by partition. */
  refusedCounts(): { partitionId: number; refused: number }[] {
    return [...this.partitions].map(([partitionId, state]) => ({ partitionId, refused: state.refusedHere }));
  }

  private stateOf(partitionId: number): PartitionAdmission {
    let state = this.partitions.get(partitionId);
    if (state === undefined) {
      state = { refusedAtMs: Number.NEGATIVE_INFINITY, credits: 0, refusedHere: 0 };
      this.partitions.set(partitionId, state);
    }
    return state;
  }
}

interface PartitionAdmission {
  refusedAtMs: number;
  /** Slots the gateway saw freed since the partition's last refusal, each one command let through. */
  credits: number;
  refusedHere: number;
}

/**
 * Long enough to spare the partition most refusals under overload (several commands arrive per millisecond), short
 * enough that a slot freed unseen is not wasted for long, and that a passing burst at a sustainable rate is not
 * turned into many refusals.
 */
export const GATEWAY_PROBE_INTERVAL_DEFAULT_MS = 5;
/** Bound on the credits: answers seen while the partition was not refusing say nothing about the next refusal. */
const CREDITS_MAX = 1024;
