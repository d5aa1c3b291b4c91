import type { Record } from '../../protocol/index.js';
import type {
  EngineState,
  ExporterPositionRecordValue,
  SchemaConfigRecordValue,
  SchemaDeleteRecordValue,
  SchemaImportRecordValue,
  SchemaRegisterRecordValue,
} from '../../state/domain/index.js';

type Applier = (record: Record) => void;

export function exporterAppliers(state: EngineState): [string, Applier][] {
  return [
    ['EXPORTER.POSITION_UPDATED', (record) => {
      const value = record.value as unknown as ExporterPositionRecordValue;
      state.exporterPositions.setPosition(value.exporterId, value.position);
    }],
    ['EXPORTER.POSITION_DELETED', (record) => state.exporterPositions.deletePosition((record.value as unknown as ExporterPositionRecordValue).exporterId)],
  ];
}

/** SCHEMA events: the built-in schema registry's changes (see processors/schema/). */
export function schemaAppliers(state: EngineState): [string, Applier][] {
  const registry = state.schemaRegistry;
  return [
    ['SCHEMA.REGISTERED', (record) => {
      const value = record.value as unknown as SchemaRegisterRecordValue;
      registry.putVersion(value.subject, value.version!, { id: value.id!, schemaType: value.schemaType, schema: value.schema });
    }],
    ['SCHEMA.SUBJECT_DELETED', (record) => {
      const value = record.value as unknown as SchemaDeleteRecordValue;
      for (const version of value.versions ?? []) registry.deleteVersion(value.subject, version, value.permanent);
    }],
    ['SCHEMA.VERSION_DELETED', (record) => {
      const value = record.value as unknown as SchemaDeleteRecordValue;
      registry.deleteVersion(value.subject, value.version!, value.permanent);
    }],
    ['SCHEMA.CONFIG_UPDATED', (record) => {
      const value = record.value as unknown as SchemaConfigRecordValue;
      registry.setCompatibility(value.subject, value.compatibility);
    }],
    ['SCHEMA.CONFIG_DELETED', (record) => registry.deleteCompatibility((record.value as unknown as SchemaConfigRecordValue).subject)],
    ['SCHEMA.IMPORTED', (record) => importRegistryEvents(state, (record.value as unknown as SchemaImportRecordValue).events)],
  ];
}

/** A legacy registry event (schema-registry/events.v1.jsonl of earlier versions). */
type LegacyRegistryEvent =
  | { type: 'SCHEMA_REGISTERED'; subject: string; version: number; id: number; schemaType: string; schema: string }
  | { type: 'VERSION_DELETED'; subject: string; version: number; permanent: boolean }
  | { type: 'CONFIG_SET'; subject: string | null; compatibility: string }
  | { type: 'CONFIG_DELETED'; subject: string | null };

/** Applies the events the file store kept, in order, as its own registry applied them. */
function importRegistryEvents(state: EngineState, events: string): void {
  const registry = state.schemaRegistry;
  for (const line of events.split('\n')) {
    if (line.trim() === '') continue;
    const event = JSON.parse(line) as LegacyRegistryEvent;
    switch (event.type) {
      case 'SCHEMA_REGISTERED':
        registry.putVersion(event.subject, event.version, { id: event.id, schemaType: event.schemaType, schema: event.schema });
        break;
      case 'VERSION_DELETED':
        registry.deleteVersion(event.subject, event.version, event.permanent);
        break;
      case 'CONFIG_SET':
        registry.setCompatibility(event.subject ?? '', event.compatibility);
        break;
      case 'CONFIG_DELETED':
        registry.deleteCompatibility(event.subject ?? '');
        break;
    }
  }
}
