import kafkajs, { type Admin } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** The lag of one consumer group on one partition: records in the partition not yet committed by the group. */
export interface PartitionLag {
  connector: string;
  groupId: string;
  topic: string;
  partition: number;
  /** The partition's high watermark (the offset the next record gets). */
  endOffset: number;
  /** The group's committed offset; the partition's first offset when the group has committed nothing. */
  committedOffset: number;
  lag: number;
}

export interface LaggedConnector {
  connector: string;
  groupId: string;
  topic: string;
}

/** Where the lag comes from; kafkajs' admin client in production, a fake in unit tests. */
export interface LagSource {
  fetch(connector: LaggedConnector): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/** How often the lag is read from Kafka; /metrics serves the last reading. */
export const LAG_POLL_INTERVAL_MS_DEFAULT = 5_000;

/**
 * Reads the lag of every inbound connector's group from Kafka at an interval and keeps the last reading for
 * /metrics, which must answer at once. A connector whose reading fails keeps its previous one.
 */
export class ConsumerLagMonitor {
  private readonly latest = new Map<string, PartitionLag[]>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  /** `connectors` is asked at every reading: connectors declared in BPMN come and go. */
  constructor(
    private readonly connectors: () => readonly LaggedConnector[],
    private readonly source: LagSource,
    private readonly pollIntervalMs = LAG_POLL_INTERVAL_MS_DEFAULT,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.timer.unref();
    void this.poll();
  }

  /** Reads every connector's lag once (a reading in progress is joined, not repeated). */
  poll(): Promise<void> {
    this.polling ??= this.readAll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  samples(): PartitionLag[] {
    return [...this.latest.values()].flat();
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    await this.source.close();
  }

  private async readAll(): Promise<void> {
    const connectors = this.connectors();
    for (const name of this.latest.keys()) {
      if (!connectors.some((connector) => connector.connector === name)) this.latest.delete(name);
    }
    for (const connector of connectors) {
      try {
        this.latest.set(connector.connector, await this.source.fetch(connector));
      } catch {
        // Kafka unreachable for a moment: the previous reading stays until the next poll succeeds.
      }
    }
  }
}

/** LagSource on kafkajs' admin client: the topic's offsets and the group's committed offsets. */
export class KafkajsLagSource implements LagSource {
  private admin: Promise<Admin> | undefined;

  constructor(private readonly options: { brokers: readonly string[]; clientId: string }) {}

  async fetch(connector: LaggedConnector): Promise<PartitionLag[]> {
    const admin = await this.connected();
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(connector.topic),
      admin.fetchOffsets({ groupId: connector.groupId, topics: [connector.topic] }),
    ]);
    const committedByPartition = new Map<number, number>();
    for (const topic of committed) {
      for (const partition of topic.partitions) committedByPartition.set(partition.partition, Number(partition.offset));
    }
    return ends
      .map((end) => {
        const endOffset = Number(end.high);
        const stored = committedByPartition.get(end.partition) ?? -1;
        const committedOffset = stored >= 0 ? stored : Number(end.low);
        return { ...connector, partition: end.partition, endOffset, committedOffset, lag: Math.max(endOffset - committedOffset, 0) };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await (await admin?.catch(() => undefined))?.disconnect();
  }

  private connected(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = new Kafka({ clientId: this.options.clientId, brokers: [...this.options.brokers], connectionTimeout: 3_000, logLevel: logLevel.NOTHING }).admin();
      const connecting = admin.connect().then(() => admin);
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = undefined;
      });
      this.admin = connecting;
    }
    return this.admin;
  }
}
