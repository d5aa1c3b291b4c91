// One catalogue for the HTTP API and the engine's SCHEMA processors (which reject with these errors).
export { errorOfRejection, registryErrors, rejectionReasonOf, SchemaRegistryError } from '../../protocol/schema-registry/index.js';
