export * from './behaviors.js';
export * from './element-behavior.js';
export * from './incident-behavior.js';
export * from './job-behavior.js';
export * from './mapping-behavior.js';
export * from './variable-behavior.js';
