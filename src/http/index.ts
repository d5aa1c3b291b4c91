export * from './monitoring.js';
export * from './schema-registry/index.js';
