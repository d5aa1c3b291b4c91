import type { Record } from '../protocol/index.js';

/**
 * The exporter API. An exporter sees committed records of one partition, in log order, and hands them to
 * somewhere else (a file, Kafka, a read model). Delivery is at-least-once: after a restart, export resumes after
 * the highest position the exporter acknowledged, so a record may be exported twice; consumers de-duplicate by
 * (partitionId, position).
 */
export interface Exporter {
  /** Unique per broker; names the exporter's acknowledged position in the position store. */
  readonly id: string;
  /** Called once before the first export; a throw is retried with back-off. */
  open(context: ExporterContext): Promise<void>;
  /**
   * Hands records off, in log order, positions ascending. A throw (or a rejected promise) makes the director retry
   * the same records later, with back-off; records already handed off may then arrive a second time.
   */
  export(records: readonly Record[]): Promise<void> | void;
  close(): Promise<void>;
}

export interface ExporterContext {
  readonly partitionId: number;
  readonly configuration: ExporterConfiguration;
  /**
   * Tells the director that every record up to and including this position is durably handed off. Export resumes
   * after it after a restart, and the log below the lowest acknowledged position of all exporters may be deleted.
   * A position lower than one acknowledged before is ignored; one beyond the records handed to the exporter throws.
   */
  acknowledge(position: number): void;
}

/** An exporter's settings, as the broker configuration gives them (`exporters.<id>.args`). */
export interface ExporterConfiguration {
  readonly [setting: string]: unknown;
}
