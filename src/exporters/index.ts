export * from './exporter.js';
export * from './json-lines-exporter.js';
export * from './kafka/index.js';
