import { readFile, rename } from 'node:fs/promises';
import { TributaryError } from '../errors.js';
import type { CommandRequest } from '../gateway/broker-client.js';
import type { ExporterPositionRecordValue, ReadonlyExporterPositionState } from '../state/domain/index.js';
import { NO_POSITION, orMissing, parsePositions, type ExporterPositionStore } from './exporter-director.js';

/** Positions are written through the log at most this often per partition, and only when one changed. */
export const POSITION_WRITE_INTERVAL_MS_DEFAULT = 1_000;

export interface LogExporterPositionStoreOptions {
  partitionId: number;
  /**
   * The partition's exporter positions as its state holds them now. A function, because a replica's state object
   * is replaced when it installs a snapshot.
   */
  state: () => ReadonlyExporterPositionState | undefined;
  /** Writes a command on the partition's leader; resolves with the answer (event or rejection). */
  sendCommand: (command: CommandRequest) => Promise<unknown>;
  writeIntervalMs?: number;
  /** The exporter-positions.json of earlier versions: read once, its positions written through the log, then renamed. */
  legacyFile?: string;
  /** Told when writing a position failed; the next interval tries again. */
  onError?: (error: unknown) => void;
}

/**
 * Keeps exporters' acknowledged positions in the partition's state by writing EXPORTER UPDATE_POSITION commands on
 * the partition, so that they are replicated and kept in snapshots: a restarted broker or a new leader resumes each
 * exporter after its position. Writes are throttled (writeIntervalMs) and only made for positions that moved, so an
 * idle partition writes nothing; a crash loses at most the last interval's acknowledgements, which only means those
 * records are exported again (delivery is at-least-once).
 */
export class LogExporterPositionStore implements ExporterPositionStore {
  /** Acknowledged positions not known to be in the state yet. */
  private readonly acknowledged = new Map<string, number>();
  /** Positions written and not answered yet, so that an interval does not write the same one again. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightPositions = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly options: LogExporterPositionStoreOptions,
    private readonly legacyPositions: Map<string, number>,
  ) {}

  static async open(options: LogExporterPositionStoreOptions): Promise<LogExporterPositionStore> {
    const legacy = options.legacyFile === undefined ? new Map<string, number>() : parsePositions(options.legacyFile, await readFile(options.legacyFile, 'utf8').catch(orMissing));
    const store = new LogExporterPositionStore(options, legacy);
    // Positions of the legacy file that the state does not have yet are written like fresh acknowledgements.
    for (const [exporterId, position] of legacy) {
      if ((store.stored(exporterId) ?? NO_POSITION) < position) store.acknowledged.set(exporterId, position);
    }
    store.timer = setInterval(() => void store.write(), options.writeIntervalMs ?? POSITION_WRITE_INTERVAL_MS_DEFAULT);
    // Pending acknowledgements must not keep a process alive that is otherwise done; flush() writes them.
    store.timer.unref();
    if (store.acknowledged.size > 0) void store.write();
    else await store.retireLegacyFile();
    return store;
  }

  get(exporterId: string): number {
    return Math.max(this.acknowledged.get(exporterId) ?? NO_POSITION, this.stored(exporterId) ?? NO_POSITION);
  }

  set(exporterId: string, position: number): void {
    if (!Number.isSafeInteger(position) || position < NO_POSITION) {
      throw new Error(`Expected a log position for exporter '${exporterId}', but got ${position}`);
    }
    if (position > (this.acknowledged.get(exporterId) ?? NO_POSITION)) this.acknowledged.set(exporterId, position);
  }

  /**
   * Drops the stored positions of exporters that are no longer configured (disabled or removed), so that they stop
   * holding back compaction and a re-enabled exporter starts afresh at the first record there is.
   */
  retainOnly(exporterIds: readonly string[]): Promise<void> {
    const kept = new Set(exporterIds);
    const dropped: Promise<unknown>[] = [];
    this.options.state()?.forEachPosition((exporterId) => {
      if (kept.has(exporterId)) return;
      this.acknowledged.delete(exporterId);
      this.legacyPositions.delete(exporterId);
      const value: ExporterPositionRecordValue = { exporterId, position: NO_POSITION };
      dropped.push(this.options.sendCommand({ valueType: 'EXPORTER', intent: 'DELETE_POSITION', key: -1n, value: { ...value } }).catch((error: unknown) => this.options.onError?.(error)));
    });
    return Promise.all(dropped).then(() => undefined);
  }

  /** Writes the positions that moved now and waits for the answers. */
  async flush(): Promise<void> {
    await this.write();
    await Promise.all(this.inFlight.values());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all(this.inFlight.values());
  }

  private stored(exporterId: string): number | undefined {
    return this.options.state()?.getPosition(exporterId);
  }

  private async write(): Promise<void> {
    // A closed store belongs to a director that stopped (this broker no longer leads the partition, or it stops).
    if (this.closed) return;
    for (const [exporterId, position] of this.acknowledged) {
      if ((this.stored(exporterId) ?? NO_POSITION) >= position) {
        this.acknowledged.delete(exporterId);
        continue;
      }
      if (this.inFlight.has(exporterId) && (this.inFlightPositions.get(exporterId) ?? NO_POSITION) >= position) continue;
      const value: ExporterPositionRecordValue = { exporterId, position };
      const sent = this.options
        .sendCommand({ valueType: 'EXPORTER', intent: 'UPDATE_POSITION', key: -1n, value: { ...value } })
        .then(
          () => undefined,
          (error: unknown) => this.reportUnlessShuttingDown(error),
        )
        .finally(() => {
          if (this.inFlightPositions.get(exporterId) === position) {
            this.inFlight.delete(exporterId);
            this.inFlightPositions.delete(exporterId);
          }
        });
      this.inFlight.set(exporterId, sent);
      this.inFlightPositions.set(exporterId, position);
    }
    if (this.acknowledged.size === 0) await this.retireLegacyFile();
  }

  /**
   * A position the partition no longer takes because it is closing is simply not stored: the records after the last
   * stored position are exported again after the restart (at-least-once), which is not worth an error.
   */
  private reportUnlessShuttingDown(error: unknown): void {
    if (error instanceof TributaryError && error.code === 'SHUTTING_DOWN') return;
    this.options.onError?.(error);
  }

  /** Once the state holds every position of the legacy file, the file is renamed so that it is never read again. */
  private async retireLegacyFile(): Promise<void> {
    const file = this.options.legacyFile;
    if (file === undefined || this.legacyPositions.size === 0) return;
    for (const [exporterId, position] of this.legacyPositions) {
      if ((this.stored(exporterId) ?? NO_POSITION) < position) return;
    }
    this.legacyPositions.clear();
    await rename(file, `${file}.migrated`).catch((error: unknown) => this.options.onError?.(error));
  }
}
