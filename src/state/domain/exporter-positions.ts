import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

/**
 * The value of EXPORTER records: an exporter's acknowledged log position on this partition. UPDATE_POSITION and
 * POSITION_UPDATED carry both fields; DELETE_POSITION and POSITION_DELETED only need the exporter id.
 */
export interface ExporterPositionRecordValue {
  exporterId: string;
  /** A log position of this partition; -1 when the exporter never acknowledged one. */
  position: number;
}

export interface ReadonlyExporterPositionState {
  /** The exporter's acknowledged position, or undefined when none is stored. */
  getPosition(exporterId: string): number | undefined;
  /** Every stored position, by exporter id. */
  forEachPosition(visitor: (exporterId: string, position: number) => void): void;
}

/**
 * Exporters' acknowledged positions, written by the exporter director as commands on its own partition so that the
 * positions are replicated and kept in snapshots like all other state: a restarted broker or a new leader resumes
 * each exporter after its position, and compaction never deletes what an exporter has not acknowledged.
 */
export class ExporterPositionState implements ReadonlyExporterPositionState {
  private readonly positions: Column<[string], number>;

  constructor(store: StateStore) {
    this.positions = store.column('exporter-position', 1);
  }

  getPosition(exporterId: string): number | undefined {
    return this.positions.get(exporterId);
  }

  forEachPosition(visitor: (exporterId: string, position: number) => void): void {
    this.positions.forEachWithPrefix([], (position, [exporterId]) => visitor(exporterId, position));
  }

  setPosition(exporterId: string, position: number): void {
    this.positions.put([exporterId], position);
  }

  deletePosition(exporterId: string): void {
    if (this.positions.has(exporterId)) this.positions.delete(exporterId);
  }
}
