export * from './exporter.js';
export * from './json-lines-exporter.js';
