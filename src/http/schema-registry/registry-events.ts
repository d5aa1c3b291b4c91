/**
 * The schema registry is event-sourced like the engine: every change is one of these events, stored durably before
 * it is applied, and the state is what applying them in order gives. Replaying the stored events rebuilds it.
 * The shape is version 1 of the stored format: add event types, never change the meaning of one.
 */
import type { CompatibilityLevel } from '../../protocol/schema-registry/index.js';

export { COMPATIBILITY_LEVEL_DEFAULT, COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../../protocol/schema-registry/index.js';

export type SchemaType = 'AVRO';

export type RegistryEvent =
  | { type: 'SCHEMA_REGISTERED'; subject: string; version: number; id: number; schemaType: SchemaType; schema: string }
  | { type: 'VERSION_DELETED'; subject: string; version: number; permanent: boolean }
  | { type: 'CONFIG_SET'; subject: string | null; compatibility: CompatibilityLevel }
  | { type: 'CONFIG_DELETED'; subject: string | null };
