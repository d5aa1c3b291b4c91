import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TributaryError } from '../errors.js';
import { replaceFileAtomically } from '../files/durable-files.js';
import type { Exporter, ExporterConfiguration, ExporterContext } from '../exporters/index.js';
import type { Record } from '../protocol/index.js';
import type { MetricsRegistry } from './metrics.js';

/** The position of an exporter that never acknowledged one (log positions are never negative). */
export const NO_POSITION = -1;

/** Where the director keeps each exporter's acknowledged position across restarts. */
export interface ExporterPositionStore {
  /** The exporter's acknowledged position, or NO_POSITION when it never acknowledged one. */
  get(exporterId: string): number;
  set(exporterId: string, position: number): void;
  /** Makes every position set so far durable; the director calls it when it closes. */
  flush?(): Promise<void>;
  /** Stops writing positions; the director calls it after the last flush, when it closes. */
  close?(): Promise<void>;
}

/**
 * Reads committed records of the partition's log, in order, starting at the first record whose position is at
 * least fromPosition. The director asks again later for what it has not got yet, so a read may stop at any point.
 */
export type ReplayFrom = (fromPosition: number) => Iterable<Record>;

export interface ExporterDirectorOptions {
  partitionId: number;
  exporters: readonly Exporter[];
  positions: ExporterPositionStore;
  /** Each exporter's settings by id, handed to it in its context. */
  configurations?: { readonly [exporterId: string]: ExporterConfiguration };
  /** Records kept in memory per exporter that is behind; past it the exporter reads from the log instead. */
  queueRecordsMax?: number;
  /** The most records handed to one export call. */
  exportBatchRecordsMax?: number;
  retryDelayMsInitial?: number;
  retryDelayMsMax?: number;
  /** How often an exporter that reads from the log looks again when the log has nothing new for it yet. */
  logPollIntervalMs?: number;
  /** How long close waits for exports in flight before it closes the exporters anyway. */
  closeTimeoutMs?: number;
  /** Told about every failed open or export, e.g. to log it; the director retries either way. */
  onError?: (exporterId: string, error: unknown) => void;
  /** Told about records an exporter cannot get any more (the log was compacted past its position). */
  onWarning?: (message: string) => void;
}

/**
 * Value types of the broker's own bookkeeping, written through the log only so that they are replicated: exporter
 * positions and the schema registry. Exporters never see them (an exported position must not cause another one).
 */
export const INTERNAL_VALUE_TYPES: ReadonlySet<string> = new Set(['EXPORTER', 'SCHEMA']);

/** The position of the first record of a partition's log. */
const FIRST_LOG_POSITION = 1;

export const EXPORTER_QUEUE_RECORDS_MAX_DEFAULT = 10_000;
export const EXPORT_BATCH_RECORDS_MAX_DEFAULT = 1_000;

export type ExporterState = 'not started' | 'opening' | 'exporting' | 'idle' | 'retrying' | 'closed';

export interface ExporterStats {
  exporterId: string;
  state: ExporterState;
  /** The highest position whose export call returned. */
  exportedPosition: number;
  /** The highest position the exporter acknowledged (durably handed off). */
  acknowledgedPosition: number;
  /** Committed records not exported yet (positions count records). */
  lagRecords: number;
  queuedRecords: number;
  /** True while the exporter catches up from the log rather than from records queued in memory. */
  readingFromLog: boolean;
  /** Failed opens and exports since the director was made. */
  errorCount: number;
  lastError?: string;
  /** Records the exporter never got because the log was compacted past its position before it read them. */
  skippedRecords: number;
}

/** One exporter's progress. Positions only grow; `lastQueuedPosition >= offeredPosition >= exportedPosition`. */
interface Lane {
  exporter: Exporter;
  state: ExporterState;
  opened: boolean;
  queue: Record[];
  readingFromLog: boolean;
  /** The highest position queued, read from the log, or handed to the exporter. */
  lastQueuedPosition: number;
  /** The highest position handed to the exporter's export call (returned or not). */
  offeredPosition: number;
  exportedPosition: number;
  acknowledgedPosition: number;
  /** The batch the exporter failed on, retried as it was. */
  pending: readonly Record[] | undefined;
  retryDelayMs: number;
  errorCount: number;
  lastError: string | undefined;
  skippedRecords: number;
  /** Ends a wait for records: called when records arrive and on close. */
  wake: (() => void) | undefined;
  /** Ends a back-off early: called on close only, so arriving records do not cut a back-off short. */
  interrupt: (() => void) | undefined;
  loop: Promise<void> | undefined;
}

/**
 * Feeds one partition's committed records to its exporters, in log order, each exporter at its own pace.
 *
 * Processing never waits for an exporter: onCommitted only queues. An exporter that falls more than
 * queueRecordsMax records behind drops its queue and reads from the log until it has caught up; one that throws is
 * retried with back-off, the others go on. After a restart each exporter resumes after its acknowledged position.
 */
export class ExporterDirector {
  readonly partitionId: number;
  private readonly lanes: Lane[];
  private readonly positions: ExporterPositionStore;
  private readonly configurations: { readonly [exporterId: string]: ExporterConfiguration };
  private readonly queueRecordsMax: number;
  private readonly exportBatchRecordsMax: number;
  private readonly retryDelayMsInitial: number;
  private readonly retryDelayMsMax: number;
  private readonly logPollIntervalMs: number;
  private readonly closeTimeoutMs: number;
  private readonly onError: ((exporterId: string, error: unknown) => void) | undefined;
  private readonly onWarning: ((message: string) => void) | undefined;
  private replayFrom: ReplayFrom | undefined;
  private lastCommittedPosition = NO_POSITION;
  /** The first position seen, so lag counts records even before anything was exported (logs need not start at 0). */
  private firstSeenPosition: number | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: ExporterDirectorOptions) {
    const ids = options.exporters.map((exporter) => exporter.id);
    if (new Set(ids).size !== ids.length) throw new Error(`Expected distinct exporter ids, but got [${ids.join(', ')}]`);
    this.partitionId = options.partitionId;
    this.positions = options.positions;
    this.configurations = options.configurations ?? {};
    this.queueRecordsMax = options.queueRecordsMax ?? EXPORTER_QUEUE_RECORDS_MAX_DEFAULT;
    this.exportBatchRecordsMax = options.exportBatchRecordsMax ?? EXPORT_BATCH_RECORDS_MAX_DEFAULT;
    this.retryDelayMsInitial = options.retryDelayMsInitial ?? 100;
    this.retryDelayMsMax = options.retryDelayMsMax ?? 10_000;
    this.logPollIntervalMs = options.logPollIntervalMs ?? 100;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.onError = options.onError;
    this.onWarning = options.onWarning;
    this.lanes = options.exporters.map((exporter) => newLane(exporter, this.positions.get(exporter.id), this.retryDelayMsInitial));
  }

  /**
   * Opens the exporters and starts exporting, each exporter after its acknowledged position, reading from the log
   * until it has caught up with what is committed. Returns at once: opening and exporting go on in the background.
   */
  start(replayFrom: ReplayFrom): void {
    if (this.replayFrom !== undefined) throw new Error(`Expected the exporter director of partition ${this.partitionId} to start once`);
    if (this.closed) throw new Error(`Expected the exporter director of partition ${this.partitionId} to start before it closes`);
    this.replayFrom = replayFrom;
    for (const lane of this.lanes) {
      lane.loop = this.run(lane).catch((error: unknown) => this.fail(lane, error));
    }
  }

  /** Called by the partition with newly committed records, in log order. Never blocks and never throws. */
  onCommitted(records: readonly Record[]): void {
    if (records.length === 0 || this.closed) return;
    const last = records[records.length - 1].position;
    if (last > this.lastCommittedPosition) this.lastCommittedPosition = last;
    this.firstSeenPosition = Math.min(this.firstSeenPosition ?? records[0].position, records[0].position);
    for (const lane of this.lanes) {
      // An exporter reading from the log leaves the records there; it is woken to read them.
      if (!lane.readingFromLog) this.enqueue(lane, records);
      lane.wake?.();
    }
  }

  /** The log below this position may be deleted: every exporter has durably handed off everything up to it. */
  get lowestAcknowledgedPosition(): number {
    if (this.lanes.length === 0) return Number.MAX_SAFE_INTEGER;
    return Math.min(...this.lanes.map((lane) => lane.acknowledgedPosition));
  }

  exporterStats(): ExporterStats[] {
    return this.lanes.map((lane) => ({
      exporterId: lane.exporter.id,
      state: lane.state,
      exportedPosition: lane.exportedPosition,
      acknowledgedPosition: lane.acknowledgedPosition,
      lagRecords: this.lagRecords(lane),
      queuedRecords: lane.queue.length,
      readingFromLog: lane.readingFromLog,
      errorCount: lane.errorCount,
      skippedRecords: lane.skippedRecords,
      ...(lane.lastError === undefined ? {} : { lastError: lane.lastError }),
    }));
  }

  private lagRecords(lane: Lane): number {
    if (this.firstSeenPosition === undefined) return 0;
    return Math.max(0, this.lastCommittedPosition - Math.max(lane.exportedPosition, this.firstSeenPosition - 1));
  }

  /** Stops exporting, waits (bounded) for exports in flight, closes the exporters and flushes the positions. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes) {
      lane.wake?.();
      lane.interrupt?.();
    }
    const loops = Promise.all(this.lanes.map((lane) => lane.loop));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.closeTimeoutMs)));
    await Promise.race([loops, timeout]);
    clearTimeout(timer);
    for (const lane of this.lanes) {
      if (lane.opened) await lane.exporter.close().catch((error: unknown) => this.recordError(lane, error));
      lane.state = 'closed';
      lane.queue = [];
    }
    await this.positions.flush?.();
    await this.positions.close?.();
  }

  private async run(lane: Lane): Promise<void> {
    const context = this.contextFor(lane);
    while (!this.closed) {
      if (!lane.opened) {
        lane.state = 'opening';
        if (!(await this.attempt(lane, () => lane.exporter.open(context)))) continue;
        lane.opened = true;
      }
      let batch: readonly Record[] | undefined;
      try {
        batch = lane.pending ?? this.takeBatch(lane);
      } catch (error) {
        await this.backOff(lane, error);
        continue;
      }
      if (batch === undefined) {
        this.passInternalRecords(lane);
        lane.state = 'idle';
        await this.waitForRecords(lane);
        continue;
      }
      lane.pending = batch;
      lane.offeredPosition = Math.max(lane.offeredPosition, batch[batch.length - 1].position);
      lane.state = 'exporting';
      const exportBatch = batch;
      if (!(await this.attempt(lane, () => lane.exporter.export(exportBatch)))) continue;
      lane.pending = undefined;
      lane.exportedPosition = batch[batch.length - 1].position;
    }
  }

  /** Runs an exporter's open or export; on a throw counts it and waits out the back-off. */
  private async attempt(lane: Lane, action: () => Promise<void> | void): Promise<boolean> {
    try {
      await action();
      lane.retryDelayMs = this.retryDelayMsInitial;
      return true;
    } catch (error) {
      await this.backOff(lane, error);
      return false;
    }
  }

  private async backOff(lane: Lane, error: unknown): Promise<void> {
    this.recordError(lane, error);
    lane.state = 'retrying';
    await this.sleep(lane, lane.retryDelayMs);
    lane.retryDelayMs = Math.min(lane.retryDelayMs * 2, this.retryDelayMsMax);
  }

  private takeBatch(lane: Lane): readonly Record[] | undefined {
    if (lane.readingFromLog) return this.readBatchFromLog(lane);
    if (lane.queue.length === 0) return undefined;
    return lane.queue.splice(0, this.exportBatchRecordsMax);
  }

  /**
   * Reads the next batch from the log. Once the log has nothing more and the exporter has everything reported
   * committed, the exporter switches to the in-memory queue: this happens synchronously, between two onCommitted
   * calls, so no record is missed and none is queued twice.
   */
  private readBatchFromLog(lane: Lane): readonly Record[] | undefined {
    if (this.replayFrom === undefined) return undefined;
    const batch: Record[] = [];
    const iterator = this.replayFrom(lane.lastQueuedPosition + 1)[Symbol.iterator]();
    let exhausted = false;
    try {
      while (batch.length < this.exportBatchRecordsMax) {
        const next = iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        if (next.value.position > lane.lastQueuedPosition) {
          // What the log serves is committed, even if the partition has not reported it yet.
          this.firstSeenPosition ??= next.value.position;
          this.lastCommittedPosition = Math.max(this.lastCommittedPosition, next.value.position);
          this.checkForGap(lane, next.value.position);
          if (!INTERNAL_VALUE_TYPES.has(next.value.valueType)) batch.push(next.value);
          lane.lastQueuedPosition = next.value.position;
        }
      }
    } finally {
      iterator.return?.();
    }
    if (exhausted && lane.lastQueuedPosition >= this.lastCommittedPosition) lane.readingFromLog = false;
    return batch.length === 0 ? undefined : batch;
  }

  /**
   * Positions are consecutive, so a record read after a jump means the log was compacted past the exporter's
   * position (an exporter added later, or state restored from a snapshot): it goes on from the first record there
   * is rather than wait forever, and reports what it missed.
   */
  private checkForGap(lane: Lane, position: number): void {
    const expected = Math.max(lane.lastQueuedPosition + 1, FIRST_LOG_POSITION);
    if (position <= expected) return;
    const missed = position - expected;
    lane.skippedRecords += missed;
    this.onWarning?.(
      `Exporter '${lane.exporter.id}' on partition ${this.partitionId} expected record ${expected} next, but the log starts at ${position} ` +
        `(compacted past the exporter's position): ${missed} records are skipped`,
    );
  }

  /**
   * Once an exporter has been handed everything queued, the internal records it was not given count as exported,
   * so that they show no lag. Its acknowledged position does not move: that is the exporter's to say.
   */
  private passInternalRecords(lane: Lane): void {
    if (lane.pending !== undefined || lane.queue.length > 0 || lane.lastQueuedPosition <= lane.exportedPosition) return;
    lane.exportedPosition = lane.lastQueuedPosition;
    lane.offeredPosition = Math.max(lane.offeredPosition, lane.lastQueuedPosition);
  }

  private enqueue(lane: Lane, records: readonly Record[]): void {
    for (const record of records) {
      // The log may have served a record already, when it was read before the partition reported it.
      if (record.position <= lane.lastQueuedPosition) continue;
      if (!INTERNAL_VALUE_TYPES.has(record.valueType)) lane.queue.push(record);
      lane.lastQueuedPosition = record.position;
    }
    if (lane.queue.length > this.queueRecordsMax) this.fallBackToLog(lane);
  }

  private fallBackToLog(lane: Lane): void {
    lane.queue = [];
    lane.readingFromLog = true;
    // Everything after what the exporter has (or is being given) is read again from the log.
    lane.lastQueuedPosition = lane.pending === undefined ? lane.exportedPosition : lane.offeredPosition;
  }

  private waitForRecords(lane: Lane): Promise<void> {
    return new Promise((resolve) => {
      // Reading from the log, the exporter may wait for records that are committed but not readable yet: look again.
      const timer = lane.readingFromLog ? setTimeout(() => lane.wake?.(), this.logPollIntervalMs) : undefined;
      lane.wake = () => {
        clearTimeout(timer);
        lane.wake = undefined;
        resolve();
      };
      if (this.closed) lane.wake();
    });
  }

  private sleep(lane: Lane, delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => lane.interrupt?.(), delayMs);
      lane.interrupt = () => {
        clearTimeout(timer);
        lane.interrupt = undefined;
        resolve();
      };
      if (this.closed) lane.interrupt();
    });
  }

  private contextFor(lane: Lane): ExporterContext {
    return {
      partitionId: this.partitionId,
      configuration: this.configurations[lane.exporter.id] ?? {},
      acknowledge: (position) => this.acknowledge(lane, position),
    };
  }

  private acknowledge(lane: Lane, position: number): void {
    if (!Number.isSafeInteger(position) || position > lane.offeredPosition) {
      throw new Error(
        `Expected exporter '${lane.exporter.id}' to acknowledge a position it was given (at most ${lane.offeredPosition}), but it acknowledged ${position}`,
      );
    }
    if (position <= lane.acknowledgedPosition) return;
    lane.acknowledgedPosition = position;
    this.positions.set(lane.exporter.id, position);
  }

  private recordError(lane: Lane, error: unknown): void {
    lane.errorCount += 1;
    lane.lastError = error instanceof Error ? error.message : String(error);
    try {
      this.onError?.(lane.exporter.id, error);
    } catch {
      // A failing error listener must not stop the exporter's retries.
    }
  }

  private fail(lane: Lane, error: unknown): void {
    this.recordError(lane, error);
    lane.state = 'closed';
  }
}

/** A lane starts reading from the log after the exporter's acknowledged position, as after every restart. */
function newLane(exporter: Exporter, acknowledgedPosition: number, retryDelayMs: number): Lane {
  return {
    exporter,
    state: 'not started',
    opened: false,
    queue: [],
    readingFromLog: true,
    lastQueuedPosition: acknowledgedPosition,
    offeredPosition: acknowledgedPosition,
    exportedPosition: acknowledgedPosition,
    acknowledgedPosition,
    pending: undefined,
    retryDelayMs,
    errorCount: 0,
    lastError: undefined,
    skippedRecords: 0,
    wake: undefined,
    interrupt: undefined,
    loop: undefined,
  };
}

/**
 * Registers scrape-time metrics of the directors' exporters: positions, lag and errors, labelled by partition and
 * exporter. `directors` is asked at every scrape, so partitions that come and go are followed.
 */
export function registerExporterMetrics(registry: MetricsRegistry, directors: () => Iterable<ExporterDirector>): void {
  const samples = (value: (stats: ExporterStats) => number) =>
    function* () {
      for (const director of directors()) {
        for (const stats of director.exporterStats()) {
          yield { labels: { partition: director.partitionId, exporter: stats.exporterId }, value: value(stats) };
        }
      }
    };
  const labelNames = ['partition', 'exporter'] as const;
  registry.gauge({
    name: 'tributary_exporter_exported_position',
    help: 'The highest log position handed to the exporter.',
    labelNames,
    collect: samples((stats) => stats.exportedPosition),
  });
  registry.gauge({
    name: 'tributary_exporter_acknowledged_position',
    help: 'The highest log position the exporter acknowledged as durably handed off.',
    labelNames,
    collect: samples((stats) => stats.acknowledgedPosition),
  });
  registry.gauge({
    name: 'tributary_exporter_lag_records',
    help: 'Committed records the exporter has not exported yet.',
    labelNames,
    collect: samples((stats) => stats.lagRecords),
  });
  registry.counter({
    name: 'tributary_exporter_skipped_records_total',
    help: 'Records the exporter never got because the log was compacted past its position before it read them.',
    labelNames,
    collect: samples((stats) => stats.skippedRecords),
  });
  registry.counter({
    name: 'tributary_exporter_errors_total',
    help: 'Failed opens and exports of the exporter; each is retried with back-off.',
    labelNames,
    collect: samples((stats) => stats.errorCount),
  });
}

export const POSITION_STORE_FLUSH_INTERVAL_MS_DEFAULT = 100;
const POSITION_FILE_VERSION = 1;

/**
 * Keeps acknowledged positions in a JSON file, rewritten atomically (temporary file, fsync, rename, fsync of the
 * folder) at most every flushIntervalMs and on close. A crash loses at most the last interval's acknowledgements,
 * which only means those records are exported again: delivery is at-least-once.
 */
export class FileExporterPositionStore implements ExporterPositionStore {
  private dirty = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAtMs = 0;
  private writes: Promise<void> = Promise.resolve();
  /** The last failure of a background flush; the next flush tries again. */
  lastError: unknown;

  private constructor(
    readonly file: string,
    private readonly positions: Map<string, number>,
    private readonly flushIntervalMs: number,
  ) {}

  /** Reads the file when there is one; refuses a file it cannot understand rather than export from position 0. */
  static async open(file: string, options: { flushIntervalMs?: number } = {}): Promise<FileExporterPositionStore> {
    await mkdir(path.dirname(file), { recursive: true });
    const positions = parsePositions(file, await readFile(file, 'utf8').catch(orMissing));
    return new FileExporterPositionStore(file, positions, options.flushIntervalMs ?? POSITION_STORE_FLUSH_INTERVAL_MS_DEFAULT);
  }

  get(exporterId: string): number {
    return this.positions.get(exporterId) ?? NO_POSITION;
  }

  set(exporterId: string, position: number): void {
    if (!Number.isSafeInteger(position) || position < NO_POSITION) {
      throw new Error(`Expected a log position for exporter '${exporterId}', but got ${position}`);
    }
    if (this.closed) throw new Error(`Expected the exporter position store '${this.file}' to be open`);
    this.positions.set(exporterId, position);
    this.dirty = true;
    this.scheduleFlush();
  }

  /** Writes the positions now if any changed; writes never overlap. */
  flush(): Promise<void> {
    const write = this.writes.then(() => this.writeIfDirty());
    this.writes = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private scheduleFlush(): void {
    if (this.timer !== undefined || this.closed) return;
    const delayMs = Math.max(0, this.lastWriteAtMs + this.flushIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().then(
        () => (this.lastError = undefined),
        (error: unknown) => {
          this.lastError = error;
          this.scheduleFlush();
        },
      );
    }, delayMs);
    // Pending acknowledgements must not keep a process alive that is otherwise done; close() writes them.
    this.timer.unref();
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastWriteAtMs = Date.now();
    const content = `${JSON.stringify({ version: POSITION_FILE_VERSION, positions: Object.fromEntries(this.positions) })}\n`;
    try {
      await replaceFileAtomically(this.file, content, { fsync: true, syncDirectory: true });
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }
}

export function orMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}

export function parsePositions(file: string, content: string | undefined): Map<string, number> {
  const positions = new Map<string, number>();
  if (content === undefined) return positions;
  const corrupt = (reason: string) =>
    new TributaryError('INTERNAL', `Expected the exporter position file '${file}' to be readable, but ${reason}`, { file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    throw corrupt(`it is not JSON (${(error as Error).message})`);
  }
  const document = parsed as { version?: unknown; positions?: unknown };
  if (typeof parsed !== 'object' || parsed === null || document.version !== POSITION_FILE_VERSION) {
    throw corrupt(`it has no known version (expected ${POSITION_FILE_VERSION})`);
  }
  if (typeof document.positions !== 'object' || document.positions === null) throw corrupt('it has no positions');
  for (const [exporterId, position] of Object.entries(document.positions)) {
    if (!Number.isSafeInteger(position) || (position as number) < NO_POSITION) {
      throw corrupt(`exporter '${exporterId}' has position ${JSON.stringify(position)}`);
    }
    positions.set(exporterId, position as number);
  }
  return positions;
}
