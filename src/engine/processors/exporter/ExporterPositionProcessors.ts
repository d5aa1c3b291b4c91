import type { Record } from '../../../protocol/index.js';
import type { ExporterPositionRecordValue } from '../../../state/domain/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** Exporter position records are about no entity: they take no key, so they leave the key sequence alone. */
const NO_KEY = -1n;

function exporterIdOf(command: Record): string | undefined {
  const exporterId = (command.value as Partial<ExporterPositionRecordValue>).exporterId;
  return typeof exporterId === 'string' && exporterId !== '' ? exporterId : undefined;
}

/**
 * EXPORTER UPDATE_POSITION: the exporter director of the partition's leader stores an exporter's acknowledged
 * position. Positions only grow: an older position (written by a former leader, say) is rejected.
 */
export class ExporterUpdatePositionProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const exporterId = exporterIdOf(command);
    const position = (command.value as Partial<ExporterPositionRecordValue>).position;
    if (exporterId === undefined || typeof position !== 'number' || !Number.isSafeInteger(position) || position < -1) {
      const reason = `Expected to update an exporter position with an exporter id and a log position, but got ${JSON.stringify({ exporterId, position })}`;
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
      return;
    }
    const stored = context.state.exporterPositions.getPosition(exporterId);
    if (stored !== undefined && stored > position) {
      const reason = `Expected to update the position of exporter '${exporterId}' to at least ${stored}, but it was ${position}`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    const value: ExporterPositionRecordValue = { exporterId, position };
    const event = context.writers.appendEvent(NO_KEY, 'EXPORTER', 'POSITION_UPDATED', value);
    context.writers.respond(command, event);
  }
}

/** EXPORTER DELETE_POSITION: an exporter was disabled or removed; its position no longer holds back compaction. */
export class ExporterDeletePositionProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const exporterId = exporterIdOf(command);
    const stored = exporterId === undefined ? undefined : context.state.exporterPositions.getPosition(exporterId);
    if (exporterId === undefined || stored === undefined) {
      const reason = `Expected to delete the position of exporter '${exporterId ?? ''}', but no position is stored for it`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    const value: ExporterPositionRecordValue = { exporterId, position: stored };
    const event = context.writers.appendEvent(NO_KEY, 'EXPORTER', 'POSITION_DELETED', value);
    context.writers.respond(command, event);
  }
}
