export * from './registry-events.js';
export * from './registry-errors.js';
export * from './registry-store.js';
export * from './compatibility.js';
export * from './schema-registry.js';
export * from './server.js';
