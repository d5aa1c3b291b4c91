/** An open StreamActivatedJobs stream, as the engine sees it. */
export interface JobStream {
  streamId: number;
  type: string;
  worker: string;
  timeoutMs: number;
  fetchVariables: string[];
  tenantIds: string[];
}

/**
 * Open job streams by job type. The engine asks it, while processing, whether a job that just became activatable
 * can be pushed; what it answers is recorded in the events written, so replay never asks again.
 */
export interface JobStreamRegistry {
  pick(type: string, tenantId: string): JobStream | undefined;
}

/** Round-robin over the streams of a type, so several workers of one type get jobs in turn. */
export class RoundRobinJobStreams implements JobStreamRegistry {
  private readonly streamsByType = new Map<string, JobStream[]>();
  private readonly cursorByType = new Map<string, number>();

  add(stream: JobStream): void {
    const streams = this.streamsByType.get(stream.type) ?? [];
    streams.push(stream);
    this.streamsByType.set(stream.type, streams);
  }

  remove(streamId: number): void {
    for (const [type, streams] of this.streamsByType) {
      const remaining = streams.filter((stream) => stream.streamId !== streamId);
      if (remaining.length === 0) this.streamsByType.delete(type);
      else this.streamsByType.set(type, remaining);
    }
  }

  has(streamId: number): boolean {
    for (const streams of this.streamsByType.values()) {
      if (streams.some((stream) => stream.streamId === streamId)) return true;
    }
    return false;
  }

  pick(type: string, tenantId: string): JobStream | undefined {
    const streams = this.streamsByType.get(type);
    if (!streams) return undefined;
    const start = this.cursorByType.get(type) ?? 0;
    for (let offset = 0; offset < streams.length; offset++) {
      const stream = streams[(start + offset) % streams.length];
      if (stream.tenantIds.length === 0 || stream.tenantIds.includes(tenantId)) {
        this.cursorByType.set(type, (start + offset + 1) % streams.length);
        return stream;
      }
    }
    return undefined;
  }
}
