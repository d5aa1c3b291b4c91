// The Avro rules are shared with the engine's SCHEMA processors, which decide registrations on partition 1.
export { compatibilityProblems, normalizeAvroSchema, parseAvroSchema } from '../../protocol/schema-registry/index.js';
